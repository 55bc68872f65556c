"""The award pipeline's records: the outbox of side effects, the review queue, decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.background import leases
from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import new_public_id, utcnow
from app.models.course import LtiUser
from app.openbadges.models import Assertion, Badge


class OutboxState:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until ``lease_until``
    SENT = "sent"
    DEAD = "dead"  # failed every attempt, or refused for good: the dead-letter list
    NO_EMAIL = "no_email"  # an email for someone without an address: nothing to send
    DROPPED = "dropped"  # owed no more: the award was revoked or deleted before it went out
    DONE = (SENT, DEAD, NO_EMAIL, DROPPED)


class OutboxMessage(leases.Leased, Model):
    """A side effect owed (an email, a webhook event), written in the transaction that owes
    it so a crash can neither lose it nor create it twice (``dedupe_key``).

    Every email the product sends is one of these rows (the award email, expiry reminders,
    the instructors' digest): the unique key and the claim make sending exactly-once, and
    ``dedupe_key`` seeds the Message-ID so a copy that slipped through a crash is folded.
    """

    __tablename__ = "outbox"
    states = leases.States(
        ready=(OutboxState.PENDING,),
        claimed=OutboxState.SENDING,
        waiting=OutboxState.PENDING,
        dead=OutboxState.DEAD,
    )
    policy = leases.RetryPolicy(base=5, cap=3600, attempts=8)
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    assertion_id: Mapped[int | None] = mapped_column(
        ForeignKey("ob_assertion.id", ondelete="CASCADE"), index=True
    )
    # Whom an email was for (privacy export and erasure find the rows by these).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    recipient: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.PENDING)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class ReviewStatus:
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class ReviewItem(Model):
    """A learner in a badge's review band, waiting for staff to approve or deny."""

    __tablename__ = "award_review"
    __table_args__ = (UniqueConstraint("badge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    badge_id: Mapped[int] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PENDING)
    # What the evaluation saw: the evidence lines and the reasons it fell short.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL")
    )

    badge: Mapped[Badge] = relationship()
    user: Mapped[LtiUser] = relationship(foreign_keys=[user_id])


class DecisionAction:
    AUTO_AWARD = "auto_award"
    REVIEW_QUEUED = "review_queued"
    REVIEW_APPROVED = "review_approved"
    REVIEW_DENIED = "review_denied"
    MANUAL_AWARD = "manual_award"
    # Awards through the API or the CLI; spelled so that their audit action stays the
    # ``award.api`` / ``award.cli`` the append-only trail has always called them.
    API_AWARD = "api"
    CLI_AWARD = "cli"
    REVOKE = "revoke"


class AwardDecision(Model):
    """One recorded decision: who (``actor``; empty for the automatic pipeline), when, why,
    and the data evaluated."""

    __tablename__ = "award_decision"
    __table_args__ = (Index("ix_award_decision_badge_user", "badge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    assertion_id: Mapped[int | None] = mapped_column(
        ForeignKey("ob_assertion.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    assertion: Mapped[Assertion | None] = relationship()
