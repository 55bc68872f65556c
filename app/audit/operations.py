"""Recording decisions and changes in the audit trail: who did it, to what, with what data.

Callers describe the act and name its :class:`~app.audit.actor.Actor`, which the view or
command that started the work passed down; nothing here reads the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.audit.actor import Actor
from app.audit.chain import Entry, append
from app.extensions import db
from app.models.course import Context, LtiUser
from app.models.lti import Registration


def tenant_of_registration(registration_id: int | None) -> str:
    """The registration's public id (records name tenants by public ids only)."""
    if registration_id is None:
        return ""
    return (
        db.session.scalar(select(Registration.public_id).where(Registration.id == registration_id))
        or ""
    )


def tenant_of_badge(badge: Any) -> str:
    """The tenant a badge belongs to: its course's registration, else its issuer's."""
    if getattr(badge, "context_id", None):
        registration_id = db.session.scalar(
            select(Context.registration_id).where(Context.id == badge.context_id)
        )
    else:
        registration_id = badge.issuer.registration_id if badge.issuer else None
    return tenant_of_registration(registration_id)


def record(
    action: str,
    subject: str,
    data: dict[str, Any] | None = None,
    *,
    actor: Actor,
    tenant: str = "",
    commit: bool = False,
    now: datetime | None = None,
) -> str:
    """Append one record in the caller's transaction (``commit`` to finish it here).

    ``action`` is a dotted verb (``award.auto``, ``assertion.revoked``, ``badge.criteria``,
    ``registration.updated``); ``subject`` names what it is about (``assertion:<public id>``);
    ``data`` is what was evaluated or changed; ``actor`` did it. Returns the record's hash.
    """
    digest = append([Entry(action, subject, data or {}, str(actor), tenant)], now=now)[0]
    if commit:
        db.session.commit()
    return digest


def record_many(entries: Iterable[Entry], *, now: datetime | None = None) -> list[str]:
    """Append several records at once (one lock of the head, one INSERT per
    :data:`app.database.CHUNK` rows); no commit.

    Each entry names its actor (:func:`award_entries` and :func:`review_entries` write it
    from the :class:`~app.audit.actor.Actor` they are given); one without is refused."""
    filled = list(entries)
    if not all(entry.actor for entry in filled):
        raise ValueError("an audit record needs its actor")
    return append(filled, now=now)


def _learner_ids(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(LtiUser.id, LtiUser.public_id).where(LtiUser.id.in_(ids))).all()
    )


def award_entries(
    badge: Any,
    created: Sequence[tuple[int | None, Any, Any]],
    action: str,
    actor: Actor,
    reason: str,
    evidence: Sequence[list[str]],
) -> list[Entry]:
    """Records of new awards: one per assertion, with the evidence the decision saw.

    Learners are named by public id, never by email: records are kept for years and
    cannot be edited, so they hold no more personal data than they need.
    """
    tenant = tenant_of_badge(badge)
    learners = _learner_ids(u for u, _a, _d in created)
    return [
        Entry(
            f"award.{action}",
            f"assertion:{assertion.public_id}",
            {
                "badge": badge.public_id,
                "learner": learners.get(user_id) if user_id is not None else None,
                "reason": reason,
                "evidence": lines,
                "issued_on": assertion.issued_on,
                "expires": assertion.expires_at,
            },
            str(actor),
            tenant,
        )
        for (user_id, assertion, _d), lines in zip(created, evidence, strict=True)
    ]


def review_entries(
    badge: Any,
    queued: Sequence[tuple[int, dict[str, Any]]],
    *,
    action: str = "review.queued",
    actor: Actor,
) -> list[Entry]:
    """Records of review-band learners (queued, or a decision on them) with the data seen."""
    tenant = tenant_of_badge(badge)
    learners = _learner_ids(u for u, _d in queued)
    return [
        Entry(
            action,
            f"badge:{badge.public_id}",
            {"learner": learners.get(user_id), **data},
            str(actor),
            tenant,
        )
        for user_id, data in queued
    ]
