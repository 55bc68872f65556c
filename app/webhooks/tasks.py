"""Background work of webhooks: the outbox handler that fans an event out, the delivery job
with back-off, and the periodic sweep (due retries, expired leases, badges that expired)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from huey import crontab
from sqlalchemy import select

from app.awards import outbox
from app.awards.models import OutboxMessage
from app.background import dead, queue
from app.background.handlers import handler
from app.extensions import db
from app.models.base import utcnow
from app.openbadges.models import Assertion, Badge
from app.webhooks import delivery, operations
from app.webhooks.models import EventType, WebhookDelivery

log = logging.getLogger(__name__)

OUTBOX_KIND = "webhook"
# Badges that expired this recently are announced; older ones were before our time.
EXPIRY_LOOKBACK = timedelta(days=2)


def outbox_rows(event_type: str, assertions: Iterable[Any]) -> list[dict[str, Any]]:
    """Outbox rows owing ``event_type`` for each assertion (one per pair, ever)."""
    return [
        {
            "kind": OUTBOX_KIND,
            "dedupe_key": f"{OUTBOX_KIND}:{event_type}:{a.public_id}",
            "assertion_id": a.id,
            "payload": {"type": event_type, "assertion_id": a.public_id},
        }
        for a in assertions
    ]


def emit(event_type: str, assertions: Iterable[Any]) -> list[int]:
    """Owe ``event_type`` for ``assertions`` in the caller's transaction (no commit).

    Returns outbox ids to pass to :func:`after_commit`; rows that were owed already are
    skipped, so calling this twice for the same award is harmless.
    """
    if event_type not in EventType.ALL:
        raise ValueError(f"unknown webhook event {event_type!r}")
    owed: list[Any] = []
    by_badge: dict[int, list[Any]] = {}
    for assertion in assertions:
        by_badge.setdefault(assertion.badge_id, []).append(assertion)
    for badge_id, group in by_badge.items():
        # Nobody listening in this registration: owe nothing (no outbox row per award of a
        # cohort for nothing). A subscriber starts receiving from the time it subscribed.
        badge = db.session.get_one(Badge, badge_id)
        if operations.wanted(operations.registration_of_badge(badge), event_type):
            owed += group
    return outbox.write(outbox_rows(event_type, owed))


def after_commit(outbox_ids: Iterable[int]) -> None:
    """Dispatch the owed events (call after the commit that wrote them)."""
    outbox.enqueue(outbox_ids)


@handler(OUTBOX_KIND)
def _fan_out(message: OutboxMessage) -> None:
    ids = operations.fan_out(message.payload["type"], message.payload["assertion_id"])
    enqueue(ids)


def enqueue(delivery_ids: Iterable[int], *, replay: bool = False) -> None:
    for delivery_id in delivery_ids:
        deliver_task(delivery_id, replay)


@queue.task()
def deliver_task(delivery_id: int, replay: bool = False) -> None:
    """One attempt; a failure schedules the next one after the back-off."""
    delay = delivery.deliver(delivery_id, replay=replay)
    if delay is not None:
        deliver_task.schedule(args=(delivery_id, replay), delay=delay)


def _describe(row: WebhookDelivery) -> str:
    return f"{row.event.type} event to {row.subscription.url}"


dead.register(
    dead.DeadKind("webhook", _l("Webhook deliveries"), WebhookDelivery, _describe, enqueue)
)


def run_due(now: datetime | None = None) -> int:
    """Send what is due now, inline (the sweep, and tests that step through retries)."""
    ids = delivery.due(now)
    for delivery_id in ids:
        delivery.deliver(delivery_id)
    return len(ids)


def announce_expired(now: datetime | None = None) -> int:
    """Owe ``badge.expired`` for live awards that expired recently. Commits."""
    now = now or utcnow()
    expired = list(
        db.session.scalars(
            select(Assertion)
            .where(
                Assertion.expires_at <= now,
                Assertion.expires_at > now - EXPIRY_LOOKBACK,
                Assertion.revoked_at.is_(None),
            )
            .limit(5000)
        )
    )
    ids = emit(EventType.EXPIRED, expired) if expired else []
    db.session.commit()
    after_commit(ids)
    return len(ids)


@queue.periodic(crontab(minute="*"))
def sweep() -> None:
    """Every minute: badges that expired, retries that are due, leases that ran out."""
    announced = announce_expired()
    due = delivery.due()
    enqueue(due)
    if announced or due:
        log.info("webhook sweep: %s expiry events, %s deliveries due", announced, len(due))
