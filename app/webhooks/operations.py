"""Subscriptions and events: what changes webhook state, callable without a request."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit, outbound, secret_box
from app.audit import Actor
from app.database import upsert
from app.extensions import db
from app.models import Context, LtiUser
from app.models.base import new_public_id, utcnow
from app.openbadges import documents
from app.openbadges.models import Assertion, Badge
from app.openbadges.serializers import assertion_json
from app.webhooks.models import (
    DeliveryState,
    EventType,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

MIN_SECRET_LENGTH = 16


class WebhookError(ValueError):
    """A subscription that cannot be made; ``code`` is a stable machine-readable name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_url(url: str) -> str:
    """Only absolute http(s) URLs with a host, and no credentials in them (they would leak
    into logs and the console)."""
    url = (url or "").strip()
    try:
        outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise WebhookError(
            "invalid",
            _(
                "url refused: %(exc)s (an absolute http(s) URL without credentials; the "
                "signature authenticates us)",
                exc=exc,
            ),
        ) from exc
    if len(url) > 2000:
        raise WebhookError("invalid", _("url is too long (2000 characters at most)"))
    return url


def check_events(events: Any) -> list[str]:
    """A non-empty list of known event types, deduplicated, in the documented order."""
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise WebhookError(
            "invalid",
            _("events must be a non-empty list of: %(value)s", value=", ".join(EventType.ALL)),
        )
    unknown = sorted(set(events) - set(EventType.ALL))
    if unknown:
        raise WebhookError(
            "invalid", _("unknown event type(s): %(unknown)s", unknown=", ".join(unknown))
        )
    return [e for e in EventType.ALL if e in events]


def create_subscription(
    registration_id: int, url: str, events: Any, secret: str | None = None, *, actor: Actor
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` (audited as ``actor``); returns the row and the secret (generated
    when not given). Commits."""
    url, events = check_url(url), check_events(events)
    if secret is None or secret == "":
        secret = "whsec_" + secrets.token_urlsafe(32)
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise WebhookError(
            "invalid", _("secret must be at least %(value)s characters", value=MIN_SECRET_LENGTH)
        )
    # The same receiver for the same events twice would deliver every event twice (a
    # resubmitted form, a retried script): refuse it and name the one that exists.
    for existing in db.session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.registration_id == registration_id, WebhookSubscription.url == url
        )
    ):
        if sorted(existing.events or []) == sorted(events):
            raise WebhookError(
                "duplicate",
                _(
                    "%(url)s is already subscribed to these events (%(paused)s); nothing was added",
                    url=url,
                    paused="active" if existing.active else "paused",
                ),
            )
    row = WebhookSubscription(
        registration_id=registration_id,
        url=url,
        events=events,
        secret_encrypted=secret_box.encrypt(secret.encode("utf-8")),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "webhook.subscribed",
        f"webhook:{row.public_id}",
        {"url": url, "events": events},
        actor=actor,
        tenant=audit.tenant_of_registration(registration_id),
    )
    db.session.commit()
    return row, secret


def set_active(row: WebhookSubscription, active: bool, actor: Actor) -> None:
    """Pause or resume a subscription as ``actor`` (deliveries already owed keep their state).
    Commits."""
    row.active = active
    audit.record(
        "webhook.resumed" if active else "webhook.paused",
        f"webhook:{row.public_id}",
        {"url": row.url},
        actor=actor,
        tenant=audit.tenant_of_registration(row.registration_id),
    )
    db.session.commit()


def secret_of(row: WebhookSubscription) -> str:
    return secret_box.decrypt(row.secret_encrypted).decode("utf-8")


def subscriptions(registration_id: int | None) -> list[WebhookSubscription]:
    """A registration's subscriptions (every one for None), newest first."""
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if registration_id is not None:
        stmt = stmt.where(WebhookSubscription.registration_id == registration_id)
    return list(db.session.scalars(stmt))


def registration_of_assertion(assertion: Assertion) -> int | None:
    """The tenant of an award: its course's registration, else its issuer's."""
    return registration_of_badge(assertion.badge)


def registration_of_badge(badge: Badge) -> int | None:
    """The tenant of a badge's awards: its course's registration, else its issuer's."""
    if badge.context_id:
        return db.session.scalar(
            select(Context.registration_id).where(Context.id == badge.context_id)
        )
    return badge.issuer.registration_id


def wanted(registration_id: int | None, event_type: str) -> list[WebhookSubscription]:
    """The registration's active subscriptions that want ``event_type``."""
    if registration_id is None:
        return []
    return [
        s
        for s in db.session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.registration_id == registration_id,
                WebhookSubscription.active.is_(True),
            )
        )
        if event_type in s.events
    ]


def event_data(assertion: Assertion) -> dict[str, Any]:
    """The ``data`` of an event body: the award as the API shows it, and its course."""
    data = assertion_json(assertion)
    data["badge_name"] = assertion.badge.name
    data["accepted_at"] = documents.iso(assertion.accepted_at) if assertion.accepted_at else None
    data["learner_id"] = None
    if assertion.lti_user_id:
        data["learner_id"] = db.session.scalar(
            select(LtiUser.public_id).where(LtiUser.id == assertion.lti_user_id)
        )
    context = None
    if assertion.badge.context_id:
        row = db.session.get_one(Context, assertion.badge.context_id)
        context = {"id": row.public_id, "title": row.title, "lti_context_id": row.lti_context_id}
    return {"assertion": data, "context": context}


def fan_out(event_type: str, assertion_public_id: str) -> list[int]:
    """Make the event and one delivery per subscription that wants it; returns the ids of
    deliveries still to send. Idempotent: the same trigger twice adds nothing. Commits."""
    assertion = db.session.scalar(
        select(Assertion).where(Assertion.public_id == assertion_public_id)
    )
    if assertion is None:
        return []
    registration_id = registration_of_assertion(assertion)
    listening = wanted(registration_id, event_type)
    if not listening:
        # Nobody listens: no event row either (a later subscriber starts from its own time).
        return []
    upsert(
        WebhookEvent,
        [
            {
                "public_id": new_public_id(),
                "type": event_type,
                "registration_id": registration_id,
                "assertion_public_id": assertion_public_id,
                "data": event_data(assertion),
                "created_at": utcnow(),
            }
        ],
    )
    event_id = db.session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.type == event_type, WebhookEvent.assertion_public_id == assertion_public_id
        )
    )
    upsert(
        WebhookDelivery,
        [
            {
                "public_id": new_public_id(),
                "subscription_id": s.id,
                "event_id": event_id,
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "created_at": utcnow(),
            }
            for s in listening
        ],
    )
    ids = list(
        db.session.scalars(
            select(WebhookDelivery.id).where(
                WebhookDelivery.event_id == event_id,
                WebhookDelivery.state == DeliveryState.PENDING,
                WebhookDelivery.attempts == 0,
            )
        )
    )
    db.session.commit()
    return ids


def body_of(event: WebhookEvent) -> dict[str, Any]:
    """The JSON body of a delivery: the same for every attempt and every replay."""
    return {
        "id": event.public_id,
        "type": event.type,
        "created": documents.iso(event.created_at),
        "data": event.data,
    }


def deliveries(
    registration_id: int | None, limit: int = 200, subscription_ids: Sequence[int] | None = None
) -> list[WebhookDelivery]:
    """The delivery log, newest first."""
    stmt = (
        select(WebhookDelivery)
        .join(WebhookSubscription)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if registration_id is not None:
        stmt = stmt.where(WebhookSubscription.registration_id == registration_id)
    if subscription_ids is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id.in_(list(subscription_ids)))
    return list(db.session.scalars(stmt))


def replay(delivery: WebhookDelivery) -> None:
    """Send a delivery again (same event id, so receivers can tell), with fresh attempts.

    Commits; the caller enqueues it. A delivery being sent right now is left alone."""
    if delivery.state == DeliveryState.SENDING:
        raise WebhookError("busy", _("this delivery is being sent right now"))
    delivery.state, delivery.attempts = DeliveryState.PENDING, 0
    delivery.next_attempt_at = delivery.lease_until = None
    delivery.delivered_at = None
    db.session.commit()
