"""What follows a change to an award, announced in one place for every path.

An award issued, an award revoked, an award accepted, a learner queued for review or denied
on review: each has one function here that writes what the happening owes, in the caller's
transaction (no commit): the decision row (``AwardDecision``), the audit record and the outbox
rows (the award email, the webhook event). The pipeline, the staff pages, the review queue,
the API and the CLI all call these, so one happening has one behaviour whoever caused it.

Functions that owe outbox rows return their ids; the caller commits, then hands them to
:func:`dispatch`. The Open Badges core (``app.openbadges``) only changes the credentials and
knows nothing of this module, the audit trail or webhooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app import audit
from app.audit import PIPELINE, Actor
from app.awards import outbox
from app.awards.models import AwardDecision, DecisionAction, ReviewItem
from app.database import insert_rows, table_of
from app.extensions import db
from app.models.base import utcnow
from app.notifications.models import award_email_row
from app.openbadges.models import Assertion, Badge, StoredAssertion
from app.webhooks.models import EventType
from app.webhooks.tasks import emit


@dataclass(frozen=True)
class NewAward:
    """A freshly created assertion (as issuing stored it) and what the decision behind it
    saw: the learner (None when the recipient is only an email address) and the evidence
    (lines from the criteria, or the evidence a caller supplied)."""

    user_id: int | None
    assertion: StoredAssertion | Assertion
    evidence: list[Any]


def awarded(
    badge: Badge, created: Sequence[NewAward], *, action: str, actor: Actor, reason: str
) -> list[int]:
    """New awards of ``badge`` by ``actor``: their decisions, audit records, and the award
    email and ``badge.issued`` webhook owed. Returns the outbox ids to dispatch after the
    commit."""
    if not created:
        return []
    now = utcnow()
    decided_by = _decided_by(actor)
    insert_rows(
        table_of(AwardDecision),
        [
            {
                "badge_id": badge.id,
                "user_id": new.user_id,
                "assertion_id": new.assertion.id,
                "action": action,
                "actor": decided_by,
                "reason": reason,
                "created_at": now,
                "data": {"evidence": new.evidence},
            }
            for new in created
        ],
    )
    audit.record_many(
        audit.award_entries(
            badge,
            [(new.user_id, new.assertion, None) for new in created],
            action,
            actor,
            reason,
            [new.evidence for new in created],
        ),
        now=now,
    )
    return outbox.write([award_email_row(new.assertion) for new in created]) + emit(
        EventType.ISSUED, [new.assertion for new in created]
    )


def _decided_by(actor: Actor) -> str:
    # A decision row names the person behind it; the pipeline's own are left blank.
    return "" if actor == PIPELINE else str(actor)


def revoked(assertion: Assertion, *, actor: Actor) -> list[int]:
    """A revocation (the assertion already carries its time and reason): its decision, its
    audit record and the ``badge.revoked`` webhook owed. Returns the outbox ids."""
    reason, now = assertion.revocation_reason or "", assertion.revoked_at
    db.session.add(
        AwardDecision(
            badge_id=assertion.badge_id,
            user_id=assertion.lti_user_id,
            assertion_id=assertion.id,
            action=DecisionAction.REVOKE,
            actor=_decided_by(actor),
            reason=reason,
            data={},
            created_at=now,
        )
    )
    audit.record(
        "assertion.revoked",
        f"assertion:{assertion.public_id}",
        {"badge": assertion.badge.public_id, "reason": reason},
        actor=actor,
        tenant=audit.tenant_of_badge(assertion.badge),
        now=now,
    )
    return emit(EventType.REVOKED, [assertion])


def accepted(assertion: Assertion) -> list[int]:
    """The learner accepted the award: the ``badge.accepted`` webhook owed (acceptance
    decides nothing about the award, so it has no decision row nor audit record)."""
    return emit(EventType.ACCEPTED, [assertion])


def review_queued(badge: Badge, queued: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Learners of ``badge`` put in the review band by the pipeline, with what it saw
    (``{"evidence": [...], "reasons": [...]}``): their decisions and audit records."""
    now = utcnow()
    insert_rows(
        table_of(AwardDecision),
        [
            {
                "badge_id": badge.id,
                "user_id": user_id,
                "assertion_id": None,
                "action": DecisionAction.REVIEW_QUEUED,
                "actor": _decided_by(PIPELINE),
                "created_at": now,
                "reason": "within the review band",
                "data": data,
            }
            for user_id, data in queued
        ],
    )
    audit.record_many(audit.review_entries(badge, queued, actor=PIPELINE), now=now)


def review_denied(item: ReviewItem, *, actor: Actor, reason: str) -> None:
    """Staff denied a learner in the review band: the decision and its audit record."""
    db.session.add(
        AwardDecision(
            badge_id=item.badge_id,
            user_id=item.user_id,
            action=DecisionAction.REVIEW_DENIED,
            actor=_decided_by(actor),
            reason=reason,
            data=item.data,
        )
    )
    audit.record_many(
        audit.review_entries(
            item.badge,
            [(item.user_id, {"decision": "denied", "reason": reason, **(item.data or {})})],
            action="review.denied",
            actor=actor,
        )
    )


def dispatch(outbox_ids: Iterable[int]) -> None:
    """Send what the happenings owe, in the background; call after the commit."""
    outbox.enqueue(outbox_ids)
