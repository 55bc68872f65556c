"""The numbers of the dashboards, computed from the tables the product already writes.

Scopes: one badge, one course (staff) or one registration (admin). "Issued", "accepted" and
the time to acceptance count awards *issued* in the date range; shares, downloads and
verification views count events that *happened* in the range (of awards in scope); pending
reviews and learners close to the threshold are the state now.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import Context
from app.openbadges.models import Assertion, Badge, Issuer
from app.sharing.models import ShareChannel, ShareEvent, VerificationView

SHARE_CHANNELS = (ShareChannel.LINKEDIN_PROFILE, ShareChannel.LINKEDIN_POST, ShareChannel.COPY_LINK)
DOWNLOAD_CHANNELS = (
    ShareChannel.DOWNLOAD_PNG,
    ShareChannel.DOWNLOAD_SVG,
    ShareChannel.DOWNLOAD_JSON,
)
# Longer ranges are drawn per month: a bar per day stops being readable past two months.
DAILY_LIMIT_DAYS = 62


@dataclass(frozen=True)
class Scope:
    """What the numbers are about: exactly one of badge, course, registration (internal
    ids), and the half-open date range [start, end)."""

    start: datetime
    end: datetime
    registration_id: int | None = None
    context_id: int | None = None
    badge_id: int | None = None

    @classmethod
    def from_dates(cls, first: date, last: date, **ids: int | None) -> Scope:
        """The range from ``first`` to ``last`` inclusive, whole UTC days."""
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        return cls(start, end, **ids)

    def badge_ids(self) -> Select:
        """The badges in scope, as a subquery-able select."""
        stmt = select(Badge.id)
        if self.badge_id is not None:
            return stmt.where(Badge.id == self.badge_id)
        if self.context_id is not None:
            return stmt.where(Badge.context_id == self.context_id)
        if self.registration_id is not None:
            # A course's badges belong to its registration; institution-wide badges to
            # their issuer's.
            in_courses = select(Context.id).where(Context.registration_id == self.registration_id)
            by_issuer = select(Issuer.id).where(Issuer.registration_id == self.registration_id)
            return stmt.where(
                (Badge.context_id.in_(in_courses))
                | (Badge.context_id.is_(None) & Badge.issuer_id.in_(by_issuer))
            )
        return stmt


@dataclass
class BadgeRow:
    """One line of the per-badge table."""

    public_id: str
    name: str
    issued: int = 0
    accepted: int = 0
    revoked: int = 0
    shares: int = 0
    downloads: int = 0
    views: int = 0
    pending_reviews: int = 0
    close: int | None = None

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.issued if self.issued else None


@dataclass
class Metrics:
    """Everything a dashboard shows for one scope."""

    scope: Scope
    issued: int = 0
    accepted: int = 0
    revoked: int = 0
    median_hours_to_accept: float | None = None
    shares_by_channel: dict[str, int] = field(default_factory=dict)
    views: int = 0
    pending_reviews: int = 0
    close_to_threshold: int | None = None
    bucket: str = "day"
    issued_over_time: list[tuple[str, int]] = field(default_factory=list)
    accepted_over_time: list[tuple[str, int]] = field(default_factory=list)
    views_over_time: list[tuple[str, int]] = field(default_factory=list)
    badges: list[BadgeRow] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.issued if self.issued else None

    @property
    def shares(self) -> int:
        return sum(self.shares_by_channel.get(c, 0) for c in SHARE_CHANNELS)

    @property
    def downloads(self) -> int:
        return sum(self.shares_by_channel.get(c, 0) for c in DOWNLOAD_CHANNELS)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (API and exports)."""
        return {
            "from": self.scope.start.date().isoformat(),
            "to": (self.scope.end - timedelta(days=1)).date().isoformat(),
            "issued": self.issued,
            "accepted": self.accepted,
            "revoked": self.revoked,
            "acceptance_rate": self.acceptance_rate,
            "median_hours_to_accept": self.median_hours_to_accept,
            "shares": self.shares,
            "downloads": self.downloads,
            "shares_by_channel": self.shares_by_channel,
            "verification_views": self.views,
            "pending_reviews": self.pending_reviews,
            "close_to_threshold": self.close_to_threshold,
            "bucket": self.bucket,
            "issued_over_time": [list(p) for p in self.issued_over_time],
            "accepted_over_time": [list(p) for p in self.accepted_over_time],
            "verification_views_over_time": [list(p) for p in self.views_over_time],
            "badges": [{**b.__dict__, "acceptance_rate": b.acceptance_rate} for b in self.badges],
        }


def _buckets(scope: Scope) -> tuple[str, list[str]]:
    """Bucket size and every bucket label of the range (empty ones too: gaps are data)."""
    first, last = scope.start.date(), (scope.end - timedelta(days=1)).date()
    if (last - first).days < DAILY_LIMIT_DAYS:
        days = (last - first).days + 1
        return "day", [(first + timedelta(days=i)).isoformat() for i in range(days)]
    labels, month = [], date(first.year, first.month, 1)
    while month <= last:
        labels.append(month.isoformat()[:7])
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return "month", labels


def _series(
    day_counts: Iterable[tuple[Any, int]], bucket: str, labels: list[str]
) -> list[tuple[str, int]]:
    totals = dict.fromkeys(labels, 0)
    for day, count in day_counts:
        label = str(day)[:10] if bucket == "day" else str(day)[:7]
        if label in totals:
            totals[label] += count
    return list(totals.items())


def _by_day(column: Any, stmt: Select) -> list[tuple[Any, int]]:
    # func.date works on SQLite's text timestamps and PostgreSQL's timestamptz (UTC session).
    day = func.date(column)
    return list(
        db.session.execute(stmt.add_columns(day, func.count()).group_by(day).order_by(day)).all()
    )


def compute(scope: Scope, *, with_close: bool = True) -> Metrics:
    """All the numbers for ``scope`` (a handful of grouped queries, plus the preview of
    each enabled badge for "close to the threshold" when ``with_close``)."""
    metrics = Metrics(scope)
    badge_ids = scope.badge_ids().scalar_subquery()
    in_scope = Assertion.badge_id.in_(badge_ids)
    issued_in_range = (
        in_scope,
        Assertion.issued_on >= scope.start,
        Assertion.issued_on < scope.end,
    )
    rows: dict[int, BadgeRow] = {
        b.id: BadgeRow(b.public_id, b.name)
        for b in db.session.execute(
            select(Badge.id, Badge.public_id, Badge.name)
            .where(Badge.id.in_(badge_ids))
            .order_by(Badge.name)
        )
    }

    # Issued, accepted, revoked per badge (awards issued in the range).
    for badge_id, issued, accepted, revoked in db.session.execute(
        select(
            Assertion.badge_id,
            func.count(),
            func.count(Assertion.accepted_at),
            func.count(Assertion.revoked_at),
        )
        .where(*issued_in_range)
        .group_by(Assertion.badge_id)
    ):
        row = rows[badge_id]
        row.issued, row.accepted, row.revoked = issued, accepted, revoked
    metrics.issued = sum(r.issued for r in rows.values())
    metrics.accepted = sum(r.accepted for r in rows.values())
    metrics.revoked = sum(r.revoked for r in rows.values())

    # Median time to acceptance: computed here, as SQLite has no percentile function.
    waits = [
        (accepted - issued).total_seconds() / 3600
        for issued, accepted in db.session.execute(
            select(Assertion.issued_on, Assertion.accepted_at)
            .where(*issued_in_range, Assertion.accepted_at.is_not(None))
            .execution_options(yield_per=5000)
        )
        if accepted is not None  # always, by the query; said for the type checker
    ]
    metrics.median_hours_to_accept = round(statistics.median(waits), 2) if waits else None

    # Shares and downloads per channel, per badge (events in the range).
    shares = (
        select(Assertion.badge_id, ShareEvent.channel, func.count())
        .select_from(ShareEvent)
        .join(Assertion, Assertion.id == ShareEvent.assertion_id)
        .where(in_scope, ShareEvent.created_at >= scope.start, ShareEvent.created_at < scope.end)
        .group_by(Assertion.badge_id, ShareEvent.channel)
    )
    by_channel: dict[str, int] = {}
    for badge_id, channel, count in db.session.execute(shares):
        by_channel[channel] = by_channel.get(channel, 0) + count
        if channel in SHARE_CHANNELS:
            rows[badge_id].shares += count
        elif channel in DOWNLOAD_CHANNELS:
            rows[badge_id].downloads += count
    metrics.shares_by_channel = {c: by_channel.get(c, 0) for c in ShareChannel.ALL}

    # Verification views (in the range).
    views_where = (
        in_scope,
        VerificationView.created_at >= scope.start,
        VerificationView.created_at < scope.end,
    )
    for badge_id, count in db.session.execute(
        select(Assertion.badge_id, func.count())
        .select_from(VerificationView)
        .join(Assertion, Assertion.id == VerificationView.assertion_id)
        .where(*views_where)
        .group_by(Assertion.badge_id)
    ):
        rows[badge_id].views = count
    metrics.views = sum(r.views for r in rows.values())

    # Over time.
    metrics.bucket, labels = _buckets(scope)
    metrics.issued_over_time = _series(
        _by_day(Assertion.issued_on, select().select_from(Assertion).where(*issued_in_range)),
        metrics.bucket,
        labels,
    )
    metrics.accepted_over_time = _series(
        _by_day(
            Assertion.accepted_at,
            select()
            .select_from(Assertion)
            .where(
                in_scope, Assertion.accepted_at >= scope.start, Assertion.accepted_at < scope.end
            ),
        ),
        metrics.bucket,
        labels,
    )
    metrics.views_over_time = _series(
        _by_day(
            VerificationView.created_at,
            select()
            .select_from(VerificationView)
            .join(Assertion, Assertion.id == VerificationView.assertion_id)
            .where(*views_where),
        ),
        metrics.bucket,
        labels,
    )

    _review_state(metrics, rows, badge_ids, with_close)
    metrics.badges = list(rows.values())
    return metrics


def _review_state(
    metrics: Metrics, rows: dict[int, BadgeRow], badge_ids: Any, with_close: bool
) -> None:
    """Pending reviews and learners close to the threshold (the award pipeline's tables)."""
    from app.awards.models import ReviewItem, ReviewStatus
    from app.awards.operations import preview

    # Learners who hold the badge since they were queued are not waiting any more.
    live = (
        select(Assertion.id)
        .where(
            Assertion.badge_id == ReviewItem.badge_id,
            Assertion.lti_user_id == ReviewItem.user_id,
            Assertion.revoked_at.is_(None),
        )
        .exists()
    )
    for badge_id, count in db.session.execute(
        select(ReviewItem.badge_id, func.count())
        .where(ReviewItem.badge_id.in_(badge_ids), ReviewItem.status == ReviewStatus.PENDING, ~live)
        .group_by(ReviewItem.badge_id)
    ):
        rows[badge_id].pending_reviews = count
    metrics.pending_reviews = sum(r.pending_reviews for r in rows.values())
    if not with_close:
        return
    total = 0
    for badge in db.session.scalars(
        select(Badge).where(Badge.id.in_(list(rows)), Badge.enabled.is_(True))
    ):
        if not badge.criteria:  # JSON null and SQL NULL both mean "no rule"
            continue
        try:
            close = len(preview(badge).close)
        except Exception:  # a badge with a broken rule must not take the dashboard down
            continue
        rows[badge.id].close = close
        total += close
    metrics.close_to_threshold = total
