"""The learner page's read model: my awards, my progress toward the rest, the pathway.

Everything is scoped to one (course, learner) pair passed in by the caller — the launch
session's — so nothing here can return another learner's data. Pure reads: no commits.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, or_, select

from app.criteria import CriteriaError, ProgressItem, parse_criteria, progress, referenced_badges
from app.criteria import Grade as CriteriaGrade
from app.database import as_utc
from app.extensions import db
from app.models import Context
from app.models.base import utcnow
from app.openbadges import documents
from app.openbadges.models import Assertion, Badge, BadgeStatus
from app.sharing.operations import Counts, counts_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EarnedBadge:
    """One of the learner's awards (live, expired or revoked) with its counters."""

    assertion: Assertion
    badge: Badge
    status: str  # valid, expired, revoked
    image_url: str
    issued_on: datetime
    expires_at: datetime | None
    counts: Counts

    @property
    def accepted(self) -> bool:
        return self.assertion.accepted_at is not None


@dataclass(frozen=True)
class ProgressLine:
    """One criterion line as the page shows it."""

    text: str
    met: bool
    fraction: float
    depth: int
    borderline: bool = False
    late: bool = False

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)


@dataclass(frozen=True)
class BadgeToEarn:
    """A badge of the course the learner does not hold yet, and how far they are."""

    badge: Badge
    image_url: str
    lines: list[ProgressLine]
    fraction: float
    automatic: bool  # False: staff award it by hand (no criteria document)
    earn_by: date | None = None  # formatted by the page, in the reader's language

    @property
    def percent(self) -> int:
        return round(self.fraction * 100)


@dataclass(frozen=True)
class LadderStep:
    """A badge on the course's pathway: its rung (0 = no prerequisites) and state."""

    badge_public_id: str
    name: str
    level: int
    earned: bool
    requires: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MyBadges:
    earned: list[EarnedBadge]
    to_earn: list[BadgeToEarn]
    ladder: list[list[LadderStep]]  # rungs from the top of the pathway down to its base


def _status(assertion: Assertion, now: datetime) -> str:
    if assertion.revoked:
        return "revoked"
    return "expired" if assertion.is_expired(now) else "valid"


@functools.cache
def _badges_and_mine_query() -> Select[Badge, Assertion]:
    # Built once (the learner page's hot path): composing it costs more than running it.
    return (
        select(Badge, Assertion)
        .outerjoin(
            Assertion,
            and_(Assertion.badge_id == Badge.id, Assertion.lti_user_id == bindparam("user_id")),
        )
        .where(
            Badge.context_id == bindparam("context_id"),
            or_(Badge.status == BadgeStatus.ACTIVE, Assertion.id.is_not(None)),
        )
        .order_by(Badge.name, Badge.id)
    )


def _badges_and_mine(context_id: int, user_id: int) -> tuple[list[Badge], list[Assertion]]:
    """The course's live badges by name, and the learner's awards of any of its badges
    (live, archived or draft since) newest first: one statement."""
    rows = db.session.execute(
        _badges_and_mine_query(), {"context_id": context_id, "user_id": user_id}
    ).all()
    live: dict[int, Badge] = {}
    mine: list[Assertion] = []
    for badge, assertion in rows:
        if badge.status == BadgeStatus.ACTIVE:
            live.setdefault(badge.id, badge)
        if assertion is not None:
            mine.append(assertion)
    mine.sort(key=lambda a: (a.issued_on, a.id), reverse=True)
    return list(live.values()), mine


@functools.cache
def _grades_query() -> Select[
    str, str, str, float | None, int, float | None, float | None, datetime | None
]:
    # Built once (composing it costs more than running it), and plain columns: no ORM objects.
    from app.grades.models import Column, Grade

    return (
        select(
            Column.public_id,
            Column.label,
            Column.kind,
            Column.score_maximum,
            Grade.id,
            Grade.score,
            Grade.maximum,
            Grade.timestamp,
        )
        .outerjoin(Grade, and_(Grade.column_id == Column.id, Grade.user_id == bindparam("user_id")))
        .where(Column.context_id == bindparam("context_id"))
    )


def _grades(
    context_id: int, user_id: int
) -> tuple[dict[str, CriteriaGrade], dict[str, str], dict[str, str]]:
    """The learner's own grades in this course, keyed by column public id, and the labels and
    kinds of every column (criteria name columns by public id): one statement."""
    rows = db.session.execute(_grades_query(), {"context_id": context_id, "user_id": user_id}).all()
    labels = {row.public_id: row.label for row in rows}
    kinds = {row.public_id: row.kind for row in rows}
    grades = {
        row.public_id: CriteriaGrade(
            row.public_id,
            row.score,
            row.maximum if row.maximum is not None else row.score_maximum,
            row.timestamp,
        )
        for row in rows
        if row.id is not None
    }
    return grades, labels, kinds


def _line(item: ProgressItem) -> ProgressLine:
    if (
        item.kind in ("column", "average", "sum")
        and item.needed
        and not item.met
        and not item.problem
    ):
        # "Quiz 3: 72 % of 80 % needed": the current value against the bar, in one breath.
        text = _(
            "%(label)s: %(current)s of %(needed)s needed",
            label=item.label,
            current=item.current,
            needed=item.needed,
        )
    elif item.kind in ("column", "average", "sum") and not item.met:
        text = _(
            "%(label)s: %(current)s (%(needed)s needed)",
            label=item.label,
            current=item.current,
            needed=item.needed,
        )
    else:
        text = item.text
    return ProgressLine(text, item.met, item.fraction, item.depth, item.borderline, item.late)


def _to_earn(
    badge: Badge,
    grades: Mapping[str, CriteriaGrade],
    earned: set[str],
    labels: Mapping[str, str],
    names: Mapping[str, str],
    now: datetime,
    kinds: Mapping[str, str],
) -> BadgeToEarn:
    image = documents.badge_image_url(badge)
    if not badge.criteria or not badge.enabled:
        return BadgeToEarn(badge, image, [], 0.0, automatic=False)
    try:
        criteria = parse_criteria(badge.criteria)
    except CriteriaError:
        log.warning("badge %s has invalid criteria; showing no progress", badge.public_id)
        return BadgeToEarn(badge, image, [], 0.0, automatic=False)
    items = progress(criteria, grades, earned, now, labels, names, kinds)
    top = [item.fraction for item in items if item.depth == 0]
    fraction = sum(top) / len(top) if top else 0.0
    return BadgeToEarn(
        badge,
        image,
        [_line(item) for item in items],
        min(fraction, 0.99),
        automatic=True,
        earn_by=criteria.earn_by,
    )


def _ladder(badges: list[Badge], earned: set[str]) -> list[list[LadderStep]]:
    """The pathway: each badge on the rung above its highest prerequisite. Only badges that
    take part in a prerequisite relation are on it; none when the course has no pathway."""
    ids = {b.public_id for b in badges}
    requires: dict[str, list[str]] = {}
    for badge in badges:
        if badge.criteria:
            try:
                refs = referenced_badges(parse_criteria(badge.criteria))
            except CriteriaError:
                continue
            requires[badge.public_id] = sorted(r for r in refs if r in ids)
    on_path = {b for b, reqs in requires.items() if reqs} | {
        r for reqs in requires.values() for r in reqs
    }
    if not on_path:
        return []
    levels: dict[str, int] = {}

    def level(public_id: str, seen: frozenset[str] = frozenset()) -> int:
        if public_id in levels:
            return levels[public_id]
        if public_id in seen:  # a cycle slipped past validation: flatten it, never loop
            return 0
        reqs = requires.get(public_id, [])
        value = 1 + max((level(r, seen | {public_id}) for r in reqs), default=-1)
        levels[public_id] = value
        return value

    names = {b.public_id: b.name for b in badges}
    rungs: dict[int, list[LadderStep]] = {}
    for public_id in sorted(on_path, key=lambda p: names[p].lower()):
        rung = level(public_id)
        rungs.setdefault(rung, []).append(
            LadderStep(
                public_id,
                names[public_id],
                rung,
                public_id in earned,
                [names[r] for r in requires.get(public_id, [])],
            )
        )
    return [rungs[r] for r in sorted(rungs, reverse=True)]


def _cards(assertions: list[Assertion], now: datetime) -> list[EarnedBadge]:
    """Cards of these awards with their counters, newest first."""
    counts = counts_for(a.id for a in assertions)
    return [
        EarnedBadge(
            a,
            a.badge,
            _status(a, now),
            documents.badge_image_url(a.badge, a.image_version),
            a.issued_on,
            a.expires_at if a.expires_at else None,
            counts[a.id],
        )
        for a in sorted(assertions, key=lambda a: a.issued_on, reverse=True)
    ]


@dataclass(frozen=True)
class CourseBadges:
    """One course's share of the learner's badges on the all-courses page."""

    context: Context
    cards: list[EarnedBadge]
    current: bool


def all_my_badges(context_id: int, user_id: int, now: datetime | None = None) -> list[CourseBadges]:
    """The learner's badges in every course of the launch's registration (the same LMS), the
    launch's course first, then the others by title; revoked awards are left out (they are
    shown in their own course). Other registrations, even on the same issuer, stay apart."""
    now = as_utc(now or utcnow())
    registration_id = db.session.scalar(
        select(Context.registration_id).where(Context.id == context_id)
    )
    rows = db.session.execute(
        select(Assertion, Context)
        .join(Badge, Badge.id == Assertion.badge_id)
        .join(Context, Context.id == Badge.context_id)
        .where(
            Assertion.lti_user_id == user_id,
            Assertion.revoked_at.is_(None),
            Context.registration_id == registration_id,
        )
    ).all()
    by_course: dict[int, tuple[Context, list[Assertion]]] = {}
    for assertion, context in rows:
        by_course.setdefault(context.id, (context, []))[1].append(assertion)
    groups = [
        CourseBadges(context, _cards(assertions, now), context.id == context_id)
        for context, assertions in by_course.values()
    ]
    groups.sort(key=lambda g: (not g.current, (g.context.title or "").lower()))
    return groups


def my_badges(context_id: int, user_id: int, now: datetime | None = None) -> MyBadges:
    """Everything the learner page shows, for this learner in this course only."""
    now = as_utc(now or utcnow())
    badges, mine = _badges_and_mine(context_id, user_id)
    # One card per badge: the live award if any, else the latest (revoked) one.
    chosen: dict[int, Assertion] = {}
    for assertion in mine:
        current = chosen.get(assertion.badge_id)
        if current is None or (current.revoked and not assertion.revoked):
            chosen[assertion.badge_id] = assertion
    earned_cards = _cards(list(chosen.values()), now)
    held = {a.badge.public_id for a in chosen.values() if not a.revoked}

    names = {b.public_id: b.name for b in badges}
    left = [b for b in badges if b.public_id not in held]
    # Grades only measure progress towards badges still to earn: none left (a course without
    # badges yet, or all earned), no statement.
    grades, labels, kinds = _grades(context_id, user_id) if left else ({}, {}, {})
    to_earn = [_to_earn(b, grades, held, labels, names, now, kinds) for b in left]
    # Closest first: what the learner can reach soonest is what they want to see.
    to_earn.sort(key=lambda t: (not t.automatic, -t.fraction, t.badge.name.lower()))
    return MyBadges(earned_cards, to_earn, _ladder(badges, held))
