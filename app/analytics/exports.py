"""Exports of awards and of the metrics, as row generators for the streaming writers.

Awards are read as plain column tuples with ``yield_per``: no ORM objects pile up in the
session's identity map, and PostgreSQL streams them through a server-side cursor, so an
export of 100,000 awards holds one batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.analytics.metrics import Metrics, Scope
from app.extensions import db
from app.models import Context
from app.openbadges import urls
from app.openbadges.models import Assertion, Badge

ASSERTION_FIELDS = (
    "id",
    "badge_id",
    "badge_name",
    "context_id",
    "context_title",
    "recipient_email",
    "recipient_name",
    "issued_on",
    "expires",
    "accepted_at",
    "revoked",
    "revoked_at",
    "revocation_reason",
    "public",
    "verify_url",
    "ob2_assertion_url",
    "ob3_credential_url",
)
METRIC_FIELDS = (
    "badge_id",
    "badge_name",
    "issued",
    "accepted",
    "acceptance_rate",
    "revoked",
    "shares",
    "downloads",
    "verification_views",
    "pending_reviews",
    "close_to_threshold",
)
#: The CSV header of the pages' downloads, in the reader's language (the API keeps the field
#: names: scripts read them).
FIELD_LABELS = {
    "id": _l("Award ID"),
    "badge_id": _l("Badge ID"),
    "badge_name": _l("Badge"),
    "context_id": _l("Course ID"),
    "context_title": _l("Course"),
    "recipient_email": _l("Learner email"),
    "recipient_name": _l("Learner"),
    "issued_on": _l("Issued on"),
    "expires": _l("Expires on"),
    "accepted_at": _l("Accepted on"),
    "revoked": _l("Revoked"),
    "revoked_at": _l("Revoked on"),
    "revocation_reason": _l("Revocation reason"),
    "public": _l("Name shown publicly"),
    "verify_url": _l("Verification page"),
    "ob2_assertion_url": _l("Open Badges 2.0 assertion"),
    "ob3_credential_url": _l("Open Badges 3.0 credential"),
    "issued": _l("Issued"),
    "accepted": _l("Accepted"),
    "acceptance_rate": _l("Acceptance rate"),
    "shares": _l("Shares"),
    "downloads": _l("Downloads"),
    "verification_views": _l("Verification views"),
    "pending_reviews": _l("Pending reviews"),
    "close_to_threshold": _l("Close to the threshold"),
}
BATCH = 2000


def header_labels(fields: tuple[str, ...]) -> list[str]:
    """The CSV header people read for ``fields``, in this request's language."""
    return [str(FIELD_LABELS.get(name, name)) for name in fields]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    from app.openbadges.documents import iso

    return iso(moment)


def assertion_rows(scope: Scope, *, by_issue_date: bool = True) -> Iterator[dict[str, Any]]:
    """Every award in scope (issued in the range unless ``by_issue_date`` is False)."""
    stmt = (
        select(
            Assertion.public_id,
            Badge.public_id,
            Badge.name,
            Context.public_id,
            Context.title,
            Assertion.recipient_email,
            Assertion.recipient_name,
            Assertion.issued_on,
            Assertion.expires_at,
            Assertion.accepted_at,
            Assertion.revoked_at,
            Assertion.revocation_reason,
            Assertion.public,
        )
        .join(Badge, Badge.id == Assertion.badge_id)
        .outerjoin(Context, Context.id == Badge.context_id)
        .where(Assertion.badge_id.in_(scope.badge_ids().scalar_subquery()))
        .order_by(Assertion.id)
        .execution_options(yield_per=BATCH)
    )
    if by_issue_date:
        stmt = stmt.where(Assertion.issued_on >= scope.start, Assertion.issued_on < scope.end)
    # The URL patterns are spelled once in app.openbadges.urls; fill them in by hand here
    # instead of calling public_url three times per row.
    base = current_app.config["PUBLIC_BASE_URL"]
    verify, ob2, ob3 = (
        base + p for p in (urls.VERIFY_PAGE, urls.ASSERTION_OB2, urls.CREDENTIAL_OB3)
    )
    for (
        public_id,
        badge_id,
        badge_name,
        context_id,
        context_title,
        email,
        name,
        issued_on,
        expires_at,
        accepted_at,
        revoked_at,
        reason,
        public,
    ) in db.session.execute(stmt):
        yield {
            "id": public_id,
            "badge_id": badge_id,
            "badge_name": badge_name,
            "context_id": context_id,
            "context_title": context_title,
            "recipient_email": email,
            "recipient_name": name,
            "issued_on": _iso(issued_on),
            "expires": _iso(expires_at),
            "accepted_at": _iso(accepted_at),
            "revoked": revoked_at is not None,
            "revoked_at": _iso(revoked_at),
            "revocation_reason": reason,
            "public": bool(public),
            "verify_url": verify.replace("<public_id>", public_id),
            "ob2_assertion_url": ob2.replace("<public_id>", public_id),
            "ob3_credential_url": ob3.replace("<public_id>", public_id),
        }


def metric_rows(metrics: Metrics) -> Iterator[dict[str, Any]]:
    """One row per badge, then a total row (``badge_id`` "*")."""
    for row in metrics.badges:
        yield {
            "badge_id": row.public_id,
            "badge_name": row.name,
            "issued": row.issued,
            "accepted": row.accepted,
            "acceptance_rate": _rate(row.acceptance_rate),
            "revoked": row.revoked,
            "shares": row.shares,
            "downloads": row.downloads,
            "verification_views": row.views,
            "pending_reviews": row.pending_reviews,
            "close_to_threshold": row.close,
        }
    yield {
        "badge_id": "*",
        "badge_name": "All badges",
        "issued": metrics.issued,
        "accepted": metrics.accepted,
        "acceptance_rate": _rate(metrics.acceptance_rate),
        "revoked": metrics.revoked,
        "shares": metrics.shares,
        "downloads": metrics.downloads,
        "verification_views": metrics.views,
        "pending_reviews": metrics.pending_reviews,
        "close_to_threshold": metrics.close_to_threshold,
    }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
