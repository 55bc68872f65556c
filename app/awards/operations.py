"""Actions on awards, callable without a request: criteria checks, preview, awards by staff
and over the API or CLI, revocations, acceptances, review decisions, and what happens when a
badge's rule changes.

Every award, revocation and acceptance made here commits with what it owes
(:mod:`app.awards.effects`), whoever asked: staff, the review queue, the API, the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.audit import Actor
from app.awards import effects
from app.awards.models import DecisionAction, ReviewItem, ReviewStatus
from app.awards.pipeline import (
    badge_names,
    column_labels,
    earned_of,
    evidence_lines,
    grades_of,
    learner_ids,
)
from app.criteria import (
    CriteriaError,
    completion_columns,
    criteria_to_json,
    describe,
    evaluate,
    language,
    parse_criteria,
    referenced_badges,
    referenced_columns,
)
from app.criteria.titles import resolve_column_titles
from app.database import CHUNK, in_transaction
from app.extensions import db
from app.grades import jobs
from app.grades.models import COMPLETION_KINDS, Column
from app.models import LtiUser
from app.models.base import utcnow
from app.openbadges import operations as ob
from app.openbadges.errors import OperationError
from app.openbadges.models import Assertion, Badge, BadgeStatus

# "Close" on the preview: within this many percentage points of the threshold.
CLOSE_BAND_PERCENT = 10.0


def _pointers(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(pointer, key, value) of every key in a raw criteria document, for error paths."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}/{key}", key, value
            yield from _pointers(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield f"{path}/{i}", "", value
            yield from _pointers(value, f"{path}/{i}")


def _where(doc: Any, keys: tuple[str, ...], value: str) -> str:
    for pointer, key, found in _pointers(doc):
        if key in keys and str(found) == value:
            return pointer
        if key in keys and isinstance(found, list) and value in map(str, found):
            return f"{pointer}/{list(map(str, found)).index(value)}"
    return ""


def check_criteria(
    doc: Any, context_id: int | None, badge_public_id: str | None = None
) -> dict[str, Any] | None:
    """Validate a criteria document for a course's badge; return its canonical form.

    Columns may be named by title where exactly one active column of the course has it (see
    `app.criteria.titles`). Besides the document's own rules: every column must be a column
    of the course, only completion columns can be ``completed``, every prerequisite badge
    must exist in the course, and pathways must not loop. Raises `CriteriaError` naming the
    offending part.
    """
    if doc is None:
        return None
    rows = (
        db.session.execute(
            select(Column.public_id, Column.label, Column.kind, Column.active).where(
                Column.context_id == context_id
            )
        ).all()
        if context_id
        else []
    )
    doc = resolve_column_titles(doc, [(r.public_id, r.label) for r in rows if r.active])
    criteria = parse_criteria(doc)
    columns = {r.public_id: (r.label, r.kind) for r in rows}
    for column in sorted(referenced_columns(criteria)):
        if column not in columns:
            raise CriteriaError(
                _where(doc, ("column", "average", "sum", "completed"), column),
                _(
                    "no column of this course has the id or title %(column)s "
                    "(see GET /api/v1/contexts/{id}/columns)",
                    column=repr(column),
                ),
            )
    for column in sorted(completion_columns(criteria)):
        label, kind = columns[column]
        if kind not in COMPLETION_KINDS:
            raise CriteriaError(
                _where(doc, ("completed",), column),
                _(
                    "%(column)s holds scores, not a completion: ask for a score in it instead "
                    "(only activity, module and course completion columns can be completed)",
                    column=repr(label or column),
                ),
            )
    badges = (
        {
            b.public_id: b
            for b in db.session.scalars(select(Badge).where(Badge.context_id == context_id))
        }
        if context_id
        else {}
    )
    for needed in sorted(referenced_badges(criteria)):
        if needed not in badges:
            raise CriteriaError(
                _where(doc, ("badge",), needed),
                _("badge %(needed)s is not a badge of this course", needed=repr(needed)),
            )
        if badge_public_id and _requires(needed, badge_public_id, badges, set()):
            raise CriteriaError(
                _where(doc, ("badge",), needed),
                _("badge %(needed)s already requires this badge (a loop)", needed=repr(needed)),
            )
    return criteria_to_json(criteria)


def column_kinds(context_id: int) -> dict[str, str]:
    """Column public id -> kind (``score``, ``course_total``, ``activity_completion``, ...),
    so the criteria text says "complete the course" rather than naming a column."""
    return dict(
        db.session.execute(
            select(Column.public_id, Column.kind).where(Column.context_id == context_id)
        ).all()
    )


def _requires(start: str, target: str, badges: dict[str, Badge], seen: set[str]) -> bool:
    if start == target:
        return True
    if start in seen or start not in badges or not badges[start].criteria:
        return False
    seen.add(start)
    try:
        needed = referenced_badges(parse_criteria(badges[start].criteria))
    except CriteriaError:
        return False
    return any(_requires(n, target, badges, seen) for n in needed)


def badge_saved(badge: Badge, actor: Actor, requested_by: str = "") -> jobs.Job | None:
    """After ``actor`` changed a badge's criteria or ``enabled``: embed the criteria's text in
    the badge, record the new rule in the audit trail and, when the badge is live with
    automatic awards on, evaluate every learner of the course against the grades held (a
    tracked job, labelled ``requested_by``)."""
    if badge.criteria and badge.context_id:
        # The text verifiers and employers read is generated from the rule that awards the
        # badge, so the two can never disagree.
        badge.criteria_narrative = describe(
            parse_criteria(badge.criteria),
            column_labels(badge.context_id),
            badge_names(badge.context_id),
            column_kinds(badge.context_id),
            translator=language.SOURCE,  # the badge's text, not the page's language
        )
    audit.record(
        "badge.rule_changed",
        f"badge:{badge.public_id}",
        {"criteria": badge.criteria, "enabled": badge.enabled, "requested_by": requested_by},
        actor=actor,
        tenant=audit.tenant_of_badge(badge),
        commit=True,
    )
    return request_evaluation(badge, requested_by)


def request_evaluation(badge: Badge, requested_by: str = "") -> jobs.Job | None:
    """When the badge is live with automatic awards on: evaluate every learner of its course
    against the grades held and issue to all who qualify now (a tracked job)."""
    if badge.enabled and badge.criteria and badge.context_id and badge.status == BadgeStatus.ACTIVE:
        return jobs.request_job(
            jobs.EVALUATE, badge.context_id, badge_id=badge.id, requested_by=requested_by
        )
    return None


@dataclass(frozen=True)
class PreviewEntry:
    """One learner on the preview: who, and the evidence lines behind the verdict."""

    user_id: str
    name: str
    email: str | None
    evidence: list[str]


@dataclass
class Preview:
    """Who qualifies now, who is in the review band, who is close, who already holds it."""

    qualifies: list[PreviewEntry]
    review: list[PreviewEntry]
    close: list[PreviewEntry]
    awarded: int
    not_met: int

    def as_dict(self) -> dict[str, Any]:
        def entries(items: list[PreviewEntry]) -> list[dict[str, Any]]:
            return [e.__dict__ for e in items]

        return {
            "qualifies": entries(self.qualifies),
            "review": entries(self.review),
            "close": entries(self.close),
            "awarded": self.awarded,
            "not_met": self.not_met,
        }


def preview(badge: Badge, criteria_doc: Any = None) -> Preview:
    """Evaluate the badge (or a draft document) for every learner; issues nothing."""
    doc = badge.criteria if criteria_doc is None else criteria_doc
    result = Preview([], [], [], 0, 0)
    if not doc or not badge.context_id:
        return result
    criteria = parse_criteria(doc)
    wider = replace(
        criteria, review_band_percent=max(criteria.review_band_percent, CLOSE_BAND_PERCENT)
    )
    learners = learner_ids(badge.context_id)
    labels, names = column_labels(badge.context_id), badge_names(badge.context_id)
    now = utcnow()
    for start in range(0, len(learners), CHUNK):
        part = learners[start : start + CHUNK]
        grades, earned = grades_of(badge.context_id, part), earned_of(part, now)
        users = {u.id: u for u in db.session.scalars(select(LtiUser).where(LtiUser.id.in_(part)))}
        for user_id in part:
            if badge.public_id in earned[user_id]:
                result.awarded += 1
                continue
            decision = evaluate(criteria, grades.get(user_id, {}), earned[user_id], now)
            user = users[user_id]
            entry = PreviewEntry(
                user.public_id,
                user.name or user.sub,
                user.email,
                evidence_lines(decision, labels, names),
            )
            if decision.outcome == "award":
                result.qualifies.append(entry)
            elif decision.outcome == "review":
                result.review.append(entry)
            elif evaluate(wider, grades.get(user_id, {}), earned[user_id], now).outcome == "review":
                result.close.append(entry)
            else:
                result.not_met += 1
    return result


def _award(
    badge: Badge,
    recipient: ob.Recipient,
    *,
    evidence: Sequence[dict[str, Any]],
    decision_evidence: list[Any],
    action: str,
    actor: Actor,
    reason: str,
    expires_at: datetime | None = None,
    also: Callable[[], None] | None = None,
) -> ob.Issued:
    """Issue (idempotent) and, when the award is new, announce it, in one transaction that is
    replayed whole on a lock conflict (with ``also``, the caller's own change); dispatch what
    it owes after the commit."""

    def work() -> tuple[ob.Issued, list[int]]:
        if also is not None:
            also()
        issued = ob.issue(badge, recipient, evidence=evidence, expires_at=expires_at, commit=False)
        owed = (
            effects.awarded(
                badge,
                [effects.NewAward(recipient.lti_user_id, issued.record, decision_evidence)],
                action=action,
                actor=actor,
                reason=reason,
            )
            if issued.created
            else []
        )
        return issued, owed

    issued, owed = in_transaction(work)
    effects.dispatch(owed)
    return issued


def award_directly(
    badge: Badge,
    recipient: ob.Recipient,
    *,
    action: str,
    actor: Actor,
    evidence: Sequence[dict[str, Any]] = (),
    expires_at: datetime | None = None,
) -> ob.Issued:
    """Award outside the grade pipeline and the staff pages (``action``: API or CLI) as
    ``actor``; a new award is recorded and announced like every other (decision, audit,
    email, webhook)."""
    return _award(
        badge,
        recipient,
        evidence=evidence,
        decision_evidence=list(evidence),
        action=action,
        actor=actor,
        reason="",
        expires_at=expires_at,
    )


def _check_awardable(badge: Badge, reason: str) -> None:
    if badge.status == BadgeStatus.DRAFT:
        raise OperationError(
            "badge_draft",
            _(
                "badge %(public_id)s is a draft: publish it before awarding it",
                public_id=badge.public_id,
            ),
        )
    if badge.status == BadgeStatus.ARCHIVED:
        raise OperationError(
            "badge_archived",
            _(
                "badge %(public_id)s is archived: restore it before awarding it",
                public_id=badge.public_id,
            ),
        )
    if not (reason or "").strip():
        raise OperationError("reason_required", _("a manual award needs a reason"))


def award_manually(
    badge: Badge,
    user: LtiUser,
    actor: Actor,
    reason: str,
    action: str = DecisionAction.MANUAL_AWARD,
    also: Callable[[], None] | None = None,
) -> Assertion:
    """Award by hand (idempotent: the live assertion if the learner holds one); recorded.
    ``also`` runs in the same transaction (the review queue marks its item there)."""
    _check_awardable(badge, reason)
    return _award(
        badge,
        ob.Recipient(email=user.email, name=user.name, lti_user_id=user.id),
        evidence=[{"name": "Awarded by staff", "narrative": reason.strip()}],
        decision_evidence=[],
        action=action,
        actor=actor,
        reason=reason.strip(),
        also=also,
    ).assertion


def revoke(
    assertion: Assertion, reason: str, *, actor: Actor, now: datetime | None = None
) -> Assertion:
    """Revoke an award as ``actor`` (idempotent: an award revoked already is left as it is)
    with its decision, audit record and webhook; commits."""
    owed: list[int] = []
    try:
        if ob.revoke(assertion, reason, now=now):
            owed = effects.revoked(assertion, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()  # nothing of a revocation is kept without the rest of it
        raise
    effects.dispatch(owed)
    return assertion


def revoke_award(assertion: Assertion, actor: Actor, reason: str) -> Assertion:
    """Revoke explicitly from the staff pages, with a reason; recorded. (Leaving the roster
    never revokes.)"""
    if assertion.revoked:
        raise OperationError(
            "already_revoked",
            _("assertion %(public_id)s was already revoked", public_id=assertion.public_id),
        )
    if not (reason or "").strip():
        raise OperationError("reason_required", _("a revocation needs a reason"))
    return revoke(assertion, reason, actor=actor)


def accept(assertion: Assertion, now: datetime | None = None) -> None:
    """The learner accepts the award (the first time only counts); announced, commits."""
    if ob.accept(assertion, now):
        owed = effects.accepted(assertion)
        db.session.commit()
        effects.dispatch(owed)


def decide_review(
    item: ReviewItem,
    approve: bool,
    actor: Actor,
    reason: str = "",
    decided_by_id: int | None = None,
) -> Assertion | None:
    """Approve (award) or deny a learner in the review band; recorded."""
    if item.status != ReviewStatus.PENDING:
        raise OperationError("invalid", _("this review was already decided"))

    def decided() -> None:
        item.status = ReviewStatus.APPROVED if approve else ReviewStatus.DENIED
        item.decided_at, item.decided_by_id = utcnow(), decided_by_id

    if approve:
        user = db.session.get_one(LtiUser, item.user_id)
        return award_manually(
            item.badge,
            user,
            actor,
            reason or "approved on review",
            action=DecisionAction.REVIEW_APPROVED,
            also=decided,
        )
    decided()
    effects.review_denied(item, actor=actor, reason=reason or "denied on review")
    db.session.commit()
    return None


def pending_reviews(context_id: int) -> list[ReviewItem]:
    """The course's review queue, oldest first, without learners who hold the badge since."""
    items = list(
        db.session.scalars(
            select(ReviewItem)
            .join(Badge, Badge.id == ReviewItem.badge_id)
            .where(Badge.context_id == context_id, ReviewItem.status == ReviewStatus.PENDING)
            .order_by(ReviewItem.id)
        )
    )
    earned = earned_of([i.user_id for i in items]) if items else {}
    return [i for i in items if i.badge.public_id not in earned.get(i.user_id, set())]
