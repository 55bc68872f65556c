"""Sending deliveries: claim with a lease, POST the signed body, log the attempt, back off.

Each delivery row is claimed before its HTTP request (``PENDING`` → ``SENDING`` with a lease)
so two workers never send it at once; a worker that dies leaves the lease to expire and the
sweep sends it again. The event ``id`` in the body lets receivers drop such a repeat.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import requests
from sqlalchemy import or_, select

from app import outbound
from app.background import leases
from app.extensions import db
from app.models.base import utcnow
from app.settings import number
from app.webhooks import operations, signing
from app.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery

log = logging.getLogger(__name__)

USER_AGENT = "Badgebridge-Webhooks/1"
_MAX_ERROR_TEXT = 500
# A receiver's answer is never stored or shown; it is read (and dropped) only this far.
_MAX_ANSWER_BYTES = 64 * 1024


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    # Longer than one POST can take (its timeouts), so only a dead worker loses the lease.
    lease = timedelta(seconds=number("WEBHOOK_TIMEOUT_SECONDS", 10) * 3 + 30)
    claimed = leases.claim(WebhookDelivery, delivery_id, lease=lease, now=now)
    db.session.commit()
    return db.session.get(WebhookDelivery, delivery_id) if claimed else None


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """(status code, error text) of one POST through the guarded client.

    Redirects are not followed (a moved endpoint must be re-subscribed, not silently sent
    elsewhere); the receiver's address must be global unless private networks are allowed;
    the error names the status and content type, never the receiver's body.
    """
    timeout = number("WEBHOOK_TIMEOUT_SECONDS", 10)
    try:
        with outbound.session(
            connect_timeout=min(5.0, timeout),
            read_timeout=timeout,
            total_timeout=timeout,
            max_bytes=_MAX_ANSWER_BYTES,
            max_redirects=0,
            user_agent=USER_AGENT,
        ) as session:
            response = session.post(url, data=body, headers=headers, allow_redirects=False)
    except outbound.OutboundRefused as exc:
        return None, f"refused: {exc}"[:_MAX_ERROR_TEXT]
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_TEXT]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, outbound.describe(response)


def deliver(delivery_id: int, *, replay: bool = False) -> float | None:
    """Make one attempt. Returns None when finished (delivered, dead, or not ours to send),
    else the seconds to wait before the next attempt."""
    now = utcnow()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    subscription, event = delivery.subscription, delivery.event
    body = json.dumps(operations.body_of(event), separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Badgebridge-Event-Id": event.public_id,
        "Badgebridge-Event-Type": event.type,
        signing.HEADER: signing.header_value(operations.secret_of(subscription), body),
    }
    started = time.monotonic()
    if subscription.active:
        status, error = _post(subscription.url, body, headers)
    else:
        status, error = None, "subscription paused"
    elapsed = int((time.monotonic() - started) * 1000)
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=status,
            error=error,
            duration_ms=elapsed,
            replay=replay,
        )
    )
    delivery.last_status = status
    if error is None:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, utcnow()
        delivery.last_error, delivery.lease_until = None, None
        db.session.commit()
        return None
    delay = leases.fail(delivery, error)
    db.session.commit()
    if delay is None:
        log.error(
            "webhook delivery %s dead after %s attempts: %s",
            delivery.public_id,
            delivery.attempts,
            error,
        )
        return None
    log.warning(
        "webhook delivery %s failed (attempt %s), retry in %.0fs: %s",
        delivery.public_id,
        delivery.attempts,
        delay,
        error,
    )
    return delay


def due(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Deliveries to send now: retries whose time came, and leases that expired."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .where(
                leases.claimable(WebhookDelivery, now),
                or_(
                    WebhookDelivery.state != DeliveryState.PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookDelivery.next_attempt_at.is_(None),
                ),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )
