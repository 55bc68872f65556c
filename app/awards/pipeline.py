"""The award pipeline: grade events in, evaluation, idempotent issuing with outbox rows.

Everything is processed in chunks of learners, one transaction per chunk holding the changed
grades, the new assertions, their outbox rows and the recorded decisions. A worker killed
mid-cohort therefore leaves whole chunks: the grades it stored were evaluated and awarded in
the same commit, and the next sync sees the rest as still changed. Issuing relies on the
one-live-assertion unique index, so concurrent or replayed events are no-ops.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from app.audit import PIPELINE
from app.awards import effects
from app.awards.models import DecisionAction, ReviewItem
from app.criteria import (
    Criteria,
    CriteriaError,
    Decision,
    Grade,
    evaluate,
    evidence_text,
    language,
    met_text,
    parse_criteria,
    referenced_badges,
)
from app.database import CHUNK, among, in_transaction, upsert
from app.extensions import db
from app.grades.models import Column
from app.grades.models import Grade as GradeRow
from app.grades.operations import GradeEvent, record_grades
from app.models import LtiUser, Membership
from app.models.base import new_public_id, utcnow
from app.openbadges.badges import fixed_expiry_passed
from app.openbadges.models import Assertion, Badge, BadgeStatus
from app.openbadges.operations import Award, Recipient, issue_many

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    """What one pass did: grades changed, learners evaluated, awards issued, reviews queued."""

    changed: int = 0
    evaluated: int = 0
    issued: int = 0
    review: int = 0
    outbox_ids: list[int] = field(default_factory=list, repr=False)

    def add(self, other: PassResult) -> None:
        self.changed += other.changed
        self.evaluated += other.evaluated
        self.issued += other.issued
        self.review += other.review

    def as_dict(self) -> dict[str, int]:
        return {
            "changed": self.changed,
            "evaluated": self.evaluated,
            "issued": self.issued,
            "review": self.review,
        }


@dataclass(frozen=True)
class CourseBadge:
    """An enabled badge of a course with its parsed criteria."""

    badge: Badge
    criteria: Criteria


def course_badges(context_id: int) -> list[CourseBadge]:
    """The course's enabled, active badges with valid criteria, prerequisites first."""
    found = []
    for badge in db.session.scalars(
        select(Badge)
        .where(
            Badge.context_id == context_id,
            Badge.enabled.is_(True),
            Badge.status == BadgeStatus.ACTIVE,
        )
        .order_by(Badge.id)
    ):
        if not badge.criteria:  # no rule (SQL NULL or JSON null): awarded by hand only
            continue
        try:
            found.append(CourseBadge(badge, parse_criteria(badge.criteria)))
        except CriteriaError as exc:  # saved documents are validated; never stop the course
            log.error("badge %s has invalid criteria, skipped: %s", badge.public_id, exc)
    return _prerequisites_first(found)


def _prerequisites_first(badges: list[CourseBadge]) -> list[CourseBadge]:
    # One pass in this order sees every award a pathway needs (cycles are refused on save;
    # should one exist anyway, its badges simply come last).
    by_id = {b.badge.public_id: b for b in badges}
    ordered: list[CourseBadge] = []
    state: dict[str, int] = {}

    def visit(item: CourseBadge) -> None:
        key = item.badge.public_id
        if state.get(key):
            return
        state[key] = 1
        for needed in sorted(referenced_badges(item.criteria)):
            if needed in by_id:
                visit(by_id[needed])
        state[key] = 2
        ordered.append(item)

    for item in badges:
        visit(item)
    return ordered


def column_labels(context_id: int) -> dict[str, str]:
    """Column public id -> label, for evidence and criteria text."""
    return dict(
        db.session.execute(
            select(Column.public_id, Column.label).where(Column.context_id == context_id)
        ).all()
    )


def badge_names(context_id: int) -> dict[str, str]:
    """Badge public id -> name for the course's badges."""
    return dict(
        db.session.execute(
            select(Badge.public_id, Badge.name).where(Badge.context_id == context_id)
        ).all()
    )


def learner_ids(context_id: int, user_ids: Iterable[int] | None = None) -> list[int]:
    """Active, non-staff members (of ``user_ids`` when given): who can earn badges now."""
    query = select(Membership.user_id).where(
        Membership.context_id == context_id,
        Membership.is_staff.is_(False),
        Membership.active.is_(True),
    )
    if user_ids is None:
        return sorted(db.session.scalars(query))
    wanted = sorted(set(user_ids))
    found: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        found.extend(
            db.session.scalars(
                query.where(among(Membership.user_id, wanted[start : start + CHUNK]))
            )
        )
    return sorted(found)


def grades_of(context_id: int, user_ids: Sequence[int]) -> dict[int, dict[str, Grade]]:
    """Each learner's grades in the course, keyed by column public id, as criteria take them."""
    out: dict[int, dict[str, Grade]] = defaultdict(dict)
    rows = db.session.execute(
        select(
            GradeRow.user_id,
            Column.public_id,
            GradeRow.score,
            GradeRow.maximum,
            Column.score_maximum,
            GradeRow.timestamp,
        )
        .join(Column, Column.id == GradeRow.column_id)
        .where(Column.context_id == context_id, among(GradeRow.user_id, user_ids))
    )
    for user_id, column, score, maximum, column_max, timestamp in rows:
        out[user_id][column] = Grade(
            column, score, maximum if maximum is not None else column_max, timestamp
        )
    return out


def earned_of(user_ids: Sequence[int], now: datetime | None = None) -> dict[int, set[str]]:
    """The badges (public ids) each learner holds live at ``now``: not revoked, not replaced,
    not expired. An expired award neither blocks a new one nor counts as a prerequisite."""
    now = now or utcnow()
    out: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(
        select(Assertion.lti_user_id, Badge.public_id)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(
            among(Assertion.lti_user_id, user_ids),
            Assertion.revoked_at.is_(None),
            Assertion.replaced_at.is_(None),
            or_(Assertion.expires_at.is_(None), Assertion.expires_at > now),
        )
    )
    for user_id, badge in rows:
        if user_id is not None:  # always (the filter names the learners); narrows the type
            out[user_id].add(badge)
    return out


def evidence_lines(decision: Decision, labels: dict[str, str], names: dict[str, str]) -> list[str]:
    """The decision's facts as lines: "Quiz 3: 85 % (needed 80 %)"."""
    return [evidence_text(ev, labels, names) for ev in decision.evidence]


def run_chunk(work: Callable[[], PassResult]) -> PassResult:
    """Run one chunk of the pipeline as a transaction; dispatch its outbox rows after."""
    result = in_transaction(work)
    effects.dispatch(result.outbox_ids)
    return result


def evaluate_learners(
    context_id: int,
    user_ids: Iterable[int],
    now: datetime | None = None,
    badges: list[CourseBadge] | None = None,
) -> PassResult:
    """Evaluate learners against every enabled badge of the course and issue what they earned
    (prerequisites first, so a pathway completes in one pass). Does not commit."""
    # The evidence is signed into the awards and kept with the decisions: in the badge's
    # source language, not that of whoever's request happens to run the pass.
    with language.using(language.SOURCE):
        return _evaluate_learners(context_id, user_ids, now, badges)


def _evaluate_learners(
    context_id: int,
    user_ids: Iterable[int],
    now: datetime | None,
    badges: list[CourseBadge] | None,
) -> PassResult:
    result = PassResult()
    badges = course_badges(context_id) if badges is None else badges
    learners = learner_ids(context_id, user_ids)
    if not badges or not learners:
        return result
    now = now or utcnow()
    result.evaluated = len(learners)
    earned = earned_of(learners, now)
    # Whoever holds every badge already has nothing to decide: their grades are not read.
    keys = {item.badge.public_id for item in badges}
    learners = [u for u in learners if not keys <= earned[u]]
    if not learners:
        return result
    grades = grades_of(context_id, learners)
    users = {
        row.id: row
        for row in db.session.execute(
            select(LtiUser.id, LtiUser.email, LtiUser.name).where(among(LtiUser.id, learners))
        )
    }
    labels, names = column_labels(context_id), badge_names(context_id)
    for item in badges:
        badge, key = item.badge, item.badge.public_id
        if fixed_expiry_passed(badge, now):  # every award would be expired: none is issued
            continue
        awards: list[tuple[int, Award, list[str]]] = []
        reviews: list[tuple[int, Decision]] = []
        for user_id in learners:
            if key in earned[user_id]:
                continue
            decision = evaluate(item.criteria, grades.get(user_id, {}), earned[user_id], now)
            if decision.outcome == "award":
                user = users[user_id]
                lines = evidence_lines(decision, labels, names)  # once: assertion and records
                # Public, signed evidence names the criteria met; the learner's exact scores
                # only when the instructor chose so for this badge.
                met = [
                    line if badge.evidence_shows_scores else met_text(ev, labels, names)
                    for line, ev in zip(lines, decision.evidence, strict=True)
                    if ev.met
                ]
                evidence = [{"name": "Criteria met", "narrative": "; ".join(met)}] if met else []
                # Signed as OB 3.0 results only where the badge shows scores (same consent).
                results = scored_results(decision, labels)
                awards.append(
                    (
                        user_id,
                        Award(
                            Recipient(email=user.email, name=user.name, lti_user_id=user_id),
                            evidence,
                            results=results,
                        ),
                        lines,
                    )
                )
            elif decision.outcome == "review":
                reviews.append((user_id, decision))
        if awards:
            _issue(badge, awards, now, result)
            for user_id, _award, _decision in awards:
                earned[user_id].add(key)
        if reviews:
            result.review += _queue_reviews(badge, reviews, labels, names)
    return result


def scored_results(decision: Decision, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The met, scored criteria of a decision as OB 3.0 results (criterion, name, percent)."""
    results = []
    for ev in decision.evidence:
        if not ev.met or ev.percent is None or ev.kind == "badge":
            continue
        names = [labels.get(column) or f"column {column}" for column in ev.columns]
        name = (
            names[0]
            if ev.kind == "column"
            else (f"{'Average' if ev.kind == 'average' else 'Total'} of {', '.join(names)}")
        )
        results.append({"criterion": ev.path, "name": name, "percent": round(ev.percent, 1)})
    return results


def _issue(
    badge: Badge, awards: list[tuple[int, Award, list[str]]], now: datetime, result: PassResult
) -> None:
    issued = issue_many(badge, [a for _u, a, _l in awards], now=now, commit=False)
    created = [
        effects.NewAward(user_id, done.record, lines)
        for (user_id, _a, lines), done in zip(awards, issued, strict=True)
        if done.created
    ]
    if not created:
        return
    result.issued += len(created)
    result.outbox_ids += effects.awarded(
        badge, created, action=DecisionAction.AUTO_AWARD, actor=PIPELINE, reason="criteria met"
    )


def _queue_reviews(
    badge: Badge, reviews: list[tuple[int, Decision]], labels: dict[str, str], names: dict[str, str]
) -> int:
    known = set(
        db.session.scalars(
            select(ReviewItem.user_id).where(
                ReviewItem.badge_id == badge.id, ReviewItem.user_id.in_([u for u, _d in reviews])
            )
        )
    )
    new = [
        (user_id, {"evidence": evidence_lines(d, labels, names), "reasons": list(d.reasons)})
        for user_id, d in reviews
        if user_id not in known
    ]
    if not new:
        return 0
    upsert(
        ReviewItem,
        [
            {
                "public_id": new_public_id(),
                "badge_id": badge.id,
                "user_id": user_id,
                "status": "pending",
                "created_at": utcnow(),
                "data": data,
            }
            for user_id, data in new
        ],
        keys=("badge_id", "user_id"),
    )
    effects.review_queued(badge, new)
    return len(new)


def ingest(
    events: Sequence[GradeEvent],
    *,
    now: datetime | None = None,
    on_chunk: Callable[[], None] | None = None,
    recheck: int | None = None,
) -> PassResult:
    """The one path for grade events of every source: store what changed, evaluate those
    learners, issue what they earned; one transaction per chunk of learners.

    ``recheck`` names a course (a sync's) whose every learner is evaluated, changed grade or
    not: whoever already qualifies for a live badge gets it now, instead of waiting for their
    next grade change (a badge that went live or an evaluation that was lost meanwhile)."""
    total = PassResult()
    by_context: dict[int, dict[int, list[GradeEvent]]] = defaultdict(lambda: defaultdict(list))
    if recheck is not None:
        # The course is re-checked even when it sent no grade at all.
        by_context.setdefault(recheck, defaultdict(list))
    for event in events:
        by_context[event.context_id][event.user_id].append(event)
    for context_id, by_user in by_context.items():
        badges = course_badges(context_id)
        everyone = context_id == recheck
        users = sorted(by_user)
        for start in range(0, len(users), CHUNK):
            part = [e for u in users[start : start + CHUNK] for e in by_user[u]]

            def work(
                part: list[GradeEvent] = part,
                context_id: int = context_id,
                badges: list[CourseBadge] = badges,
                everyone: bool = everyone,
            ) -> PassResult:
                changed = record_grades(part)
                result = evaluate_learners(
                    context_id,
                    {e.user_id for e in (part if everyone else changed)},
                    now,
                    badges=[_fresh(b) for b in badges],
                )
                result.changed = len(changed)
                if on_chunk:
                    on_chunk()
                return result

            total.add(run_chunk(work))
        if everyone and badges:
            # Learners with no grade in this batch (grades from a CSV, a webhook, or none).
            rest = [u for u in learner_ids(context_id) if u not in by_user]
            total.add(_evaluate_in_chunks(context_id, rest, badges, now, on_chunk))
    return total


def _fresh(item: CourseBadge) -> CourseBadge:
    # A rolled-back chunk expires the session's objects; reload the badge it will issue.
    return CourseBadge(db.session.get_one(Badge, item.badge.id), item.criteria)


def evaluate_course(
    context_id: int,
    *,
    now: datetime | None = None,
    on_chunk: Callable[[], None] | None = None,
    on_progress: Callable[[dict[str, int]], None] | None = None,
) -> PassResult:
    """Evaluate every learner of the course against its live, enabled badges (a badge went
    live, automatic awards were turned on, or a live badge's rule changed) and issue to all
    who qualify now. ``on_progress`` hears the running totals after each committed chunk."""
    badges = course_badges(context_id)
    if not badges:  # nothing to earn: no learner is read (each sync of such a course asks)
        return PassResult()
    return _evaluate_in_chunks(
        context_id, learner_ids(context_id), badges, now, on_chunk, on_progress
    )


def _evaluate_in_chunks(
    context_id: int,
    learners: list[int],
    badges: list[CourseBadge],
    now: datetime | None,
    on_chunk: Callable[[], None] | None = None,
    on_progress: Callable[[dict[str, int]], None] | None = None,
) -> PassResult:
    total = PassResult()
    for start in range(0, len(learners), CHUNK):
        part = learners[start : start + CHUNK]

        def work(part: list[int] = part) -> PassResult:
            result = evaluate_learners(context_id, part, now, badges=[_fresh(b) for b in badges])
            if on_chunk:
                on_chunk()
            return result

        total.add(run_chunk(work))
        if on_progress:
            on_progress({"total": len(learners), "done": start + len(part), **total.as_dict()})
    return total
