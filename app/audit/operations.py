"""Recording decisions and changes in the audit trail: who did it, to what, with what data.

Callers describe the act; the actor is taken from the request when they do not name one
(an API key, an admin of the console, a launched LTI user), else the CLI or the system.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click
from flask import g, has_request_context
from sqlalchemy import select

from app.audit.chain import Entry, append
from app.extensions import db
from app.models.course import Context, LtiUser
from app.models.lti import Registration


def current_actor() -> str:
    """Who is acting in this request or command, as a stable, readable string."""
    if has_request_context():
        key = g.get("api_key")
        if key is not None:
            return f"api_key:{key.public_id}"
        admin = g.get("admin_user")
        if admin is not None:
            return f"admin:{admin.email}"
        launch = g.get("launch_session")
        if launch is not None:
            public_id = db.session.scalar(
                select(LtiUser.public_id).where(LtiUser.id == launch.user_id)
            )
            return f"lti_user:{public_id or launch.user_id}"
    if click.get_current_context(silent=True) is not None:
        return "cli"
    return "system"


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
    actor: str | None = None,
    tenant: str = "",
    commit: bool = False,
    now: datetime | None = None,
) -> str:
    """Append one record in the caller's transaction (``commit`` to finish it here).

    ``action`` is a dotted verb (``award.auto``, ``assertion.revoked``, ``badge.criteria``,
    ``registration.updated``); ``subject`` names what it is about (``assertion:<public id>``);
    ``data`` is what was evaluated or changed. Returns the record's hash.
    """
    digest = append(
        [Entry(action, subject, data or {}, actor or current_actor(), tenant)], now=now
    )[0]
    if commit:
        db.session.commit()
    return digest


def record_many(entries: Iterable[Entry], *, now: datetime | None = None) -> list[str]:
    """Append several records at once (one lock of the head, one INSERT per
    :data:`app.database.CHUNK` rows); no commit.

    Entries without an actor get the current one."""
    actor = None
    filled = []
    for entry in entries:
        if not entry.actor:
            actor = actor or current_actor()
            entry = Entry(entry.action, entry.subject, entry.data, actor, entry.tenant)
        filled.append(entry)
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
    actor: str,
    reason: str,
    evidence: Sequence[list[str]],
) -> list[Entry]:
    """Records of new awards: one per assertion, with the evidence the decision saw.

    Learners are named by public id, never by email: records are kept for years and
    cannot be edited, so they hold no more personal data than they need.
    """
    tenant = tenant_of_badge(badge)
    learners = _learner_ids(u for u, _a, _d in created)
    # The pipeline's own decisions are the system's, whoever's request set it going.
    who = actor or ("system:pipeline" if action == "auto_award" else "")
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
            who,
            tenant,
        )
        for (user_id, assertion, _d), lines in zip(created, evidence, strict=True)
    ]


def review_entries(
    badge: Any,
    queued: Sequence[tuple[int, dict[str, Any]]],
    *,
    action: str = "review.queued",
    actor: str = "system:pipeline",
) -> list[Entry]:
    """Records of review-band learners (queued, or a decision on them) with the data seen."""
    tenant = tenant_of_badge(badge)
    learners = _learner_ids(u for u, _d in queued)
    return [
        Entry(
            action,
            f"badge:{badge.public_id}",
            {"learner": learners.get(user_id), **data},
            actor,
            tenant,
        )
        for user_id, data in queued
    ]
