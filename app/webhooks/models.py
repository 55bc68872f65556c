"""Outbound webhooks: subscriptions, the events owed to them, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.background import leases
from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import new_public_id, utcnow
from app.models.lti import Registration


class EventType:
    """What a subscriber can ask for."""

    ISSUED = "badge.issued"
    ACCEPTED = "badge.accepted"
    REVOKED = "badge.revoked"
    EXPIRED = "badge.expired"
    ALL = (ISSUED, ACCEPTED, REVOKED, EXPIRED)


class WebhookSubscription(Model):
    """A URL of one registration that wants some event types, and the secret that signs them.

    The secret is kept encrypted (the secret box): we need it back to sign, so no hash.
    """

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    registration: Mapped[Registration] = relationship()


class WebhookEvent(Model):
    """Something that happened to an award, once: ``public_id`` is the event ``id`` the body
    carries, and (type, assertion) is unique so a replayed trigger cannot mint a second one."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("type", "assertion_public_id"),
        Index("ix_webhook_event_registration_created", "registration_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    type: Mapped[str] = mapped_column(String(40))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )
    assertion_public_id: Mapped[str] = mapped_column(String(36))
    # The ``data`` object of the body, frozen when the event happened.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class DeliveryState:
    PENDING = "pending"  # waiting for its first or next attempt (``next_attempt_at``)
    SENDING = "sending"  # claimed by a worker until ``lease_until``
    DELIVERED = "delivered"
    DEAD = "dead"  # every attempt failed; the console can replay it


class WebhookDelivery(leases.Leased, Model):
    """One event owed to one subscription: unique per pair, so it is delivered once."""

    __tablename__ = "webhook_delivery"
    states = leases.States(
        ready=(DeliveryState.PENDING,),
        claimed=DeliveryState.SENDING,
        waiting=DeliveryState.PENDING,
        dead=DeliveryState.DEAD,
    )
    policy = leases.RetryPolicy(
        base=10,
        cap=6 * 3600,
        attempts=10,
        base_setting="WEBHOOK_RETRY_BASE_SECONDS",
        cap_setting="WEBHOOK_RETRY_CAP_SECONDS",
        attempts_setting="WEBHOOK_MAX_ATTEMPTS",
    )
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    subscription: Mapped[WebhookSubscription] = relationship()
    event: Mapped[WebhookEvent] = relationship()


class WebhookAttempt(Model):
    """The delivery log: one HTTP attempt, its response code or error, and how long it took."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
