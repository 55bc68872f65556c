"""One row per email the product owes someone: the ledger that makes sending exactly-once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.background import leases
from app.database import AwareDateTime
from app.extensions import Model


def utcnow() -> datetime:
    # Not app.models.base's: importing that package from here would be circular (app.models
    # imports these models to register them).
    return datetime.now(UTC)


class MailKind:
    AWARD = "award"
    EXPIRY_SOON = "expiry_30"  # thirty days before an award expires
    EXPIRY_TODAY = "expiry_0"  # on the day it expires
    DIGEST = "digest"  # an instructor's daily summary of awards in their courses
    ALL = (AWARD, EXPIRY_SOON, EXPIRY_TODAY, DIGEST)


class DeliveryState:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until ``lease_until``
    SENT = "sent"
    RETRY = "retry"  # a temporary failure; another attempt is due
    FAILED = "failed"  # refused for good (5xx) or out of attempts
    NO_EMAIL = "no_email"  # the learner has no address: the badge is still in the course
    DONE = (SENT, FAILED, NO_EMAIL)


class EmailDelivery(leases.Leased, Model):
    """An email owed, keyed by what it is about (``key``: ``award:<assertion id>``,
    ``expiry_30:<assertion id>``, ``digest:<user id>:<date>``).

    The unique key is what makes sending exactly-once: whoever inserts the row first owns
    the message, a worker claims it with a conditional UPDATE before talking to the SMTP
    server, and a message marked sent is never sent again.
    """

    __tablename__ = "email_delivery"
    # ``failed`` is the dead list: refused for good, or out of attempts. The retries
    # themselves are scheduled by huey's (about 1, 2, 4 … minutes), so ``next_attempt_at``
    # only tells the console when the next one is due.
    states = leases.States(
        ready=(DeliveryState.PENDING, DeliveryState.RETRY),
        claimed=DeliveryState.SENDING,
        waiting=DeliveryState.RETRY,
        dead=DeliveryState.FAILED,
    )
    policy = leases.RetryPolicy(base=60, cap=3600, attempts=8)
    __table_args__ = (Index("ix_email_delivery_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    assertion_id: Mapped[int | None] = mapped_column(
        ForeignKey("ob_assertion.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    recipient: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    # Stable across attempts: if a crash ever resends, mail clients fold the copies.
    message_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
