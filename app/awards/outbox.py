"""The outbox: side effects of awards (notifications, webhooks) as rows written in the issuing
transaction, dispatched by jobs after the commit.

A row exists exactly once per ``dedupe_key`` (unique), so a crash or a replay can neither lose
the side effect nor owe it twice. Dispatching claims a row with a lease before running its
handler and marks it sent after; a worker that dies mid-way leaves the lease to expire and the
sweep hands the row to another worker. Handlers receive the row, whose ``dedupe_key`` is a
stable idempotency key (e.g. the email's Message-ID), so a resend after such a crash can be
recognised downstream.

The claim, back-off and dead list are :mod:`app.background.leases`; the handlers of the
kinds (the award email, webhooks) are registered with :func:`app.background.handlers.handler`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from app.awards.models import OutboxMessage, OutboxState
from app.background import dead, leases, queue
from app.background.handlers import handler_for
from app.database import CHUNK, dialect_insert, in_transaction
from app.extensions import db
from app.models.base import utcnow
from app.settings import number

log = logging.getLogger(__name__)

NOTIFY_AWARD = "notify_award"


def write(messages: Sequence[dict[str, Any]]) -> list[int]:
    """Add outbox rows (``kind``, ``dedupe_key``, ``assertion_id``, ``payload``) in the
    caller's transaction; rows whose key exists are skipped. Returns the new rows' ids."""
    if not messages:
        return []
    now = utcnow()
    rows = [
        {
            "state": OutboxState.PENDING,
            "attempts": 0,
            "created_at": now,
            "payload": {},
            "assertion_id": None,
            **m,
        }
        for m in messages
    ]
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        stmt = (
            dialect_insert(OutboxMessage.__table__)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxMessage.__table__.c.id)
        )
        ids.extend(db.session.scalars(stmt, rows[start : start + CHUNK]))
    return ids


def enqueue(ids: Iterable[int]) -> None:
    """Dispatch rows in the background; call after the commit that wrote them."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        dispatch_task(ids[start : start + CHUNK])


def _claim(message_id: int) -> OutboxMessage | None:
    claimed = in_transaction(lambda: leases.claim(OutboxMessage, message_id, lease=_lease()))
    return db.session.get(OutboxMessage, message_id) if claimed else None


def _lease() -> timedelta:
    # How long a claimed row is a worker's before the sweep may hand it to another.
    return timedelta(seconds=number("OUTBOX_LEASE_SECONDS", 300))


def _grace() -> timedelta:
    # Rows still pending this long after they were written lost their dispatch job (the
    # process died between commit and enqueue): the sweep dispatches them.
    return timedelta(seconds=number("OUTBOX_GRACE_SECONDS", 30))


def dispatch(message_id: int) -> float | None:
    """Carry out one row. Returns None when done (or not ours), else seconds until a retry."""
    message = _claim(message_id)
    if message is None:
        return None
    try:
        handler_for(message.kind)(message)
    except Exception as exc:  # any failure of a side effect is retried, then dead-lettered
        db.session.rollback()
        message, delay = in_transaction(partial(_failed, message_id, exc))
        if delay is None:
            log.error(
                "outbox %s dead after %s attempts: %s", message.dedupe_key, message.attempts, exc
            )
            return None
        log.warning(
            "outbox %s failed (attempt %s), retry in %.0fs: %s",
            message.dedupe_key,
            message.attempts,
            delay,
            exc,
        )
        return max(delay, 0.1)

    def sent() -> None:
        row = db.session.get_one(OutboxMessage, message_id)
        row.state, row.sent_at, row.lease_until = OutboxState.SENT, utcnow(), None

    in_transaction(sent)
    return None


def _failed(message_id: int, exc: Exception) -> tuple[OutboxMessage, float | None]:
    # The row and the seconds until its retry (None: it went to the dead list).
    message = db.session.get_one(OutboxMessage, message_id)
    return message, leases.fail(message, f"{type(exc).__name__}: {exc}"[:2000])


@queue.task()
def dispatch_task(ids: list[int]) -> None:
    """Dispatch outbox rows; failed ones are rescheduled with back-off."""
    for message_id in ids:
        delay = dispatch(message_id)
        if delay is not None:
            dispatch_task.schedule(args=([message_id],), delay=delay)


def due(limit: int = 5000) -> list[int]:
    """Rows that should be dispatched now and have no job on the way (for the sweep)."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    and_(
                        OutboxMessage.state == OutboxState.PENDING,
                        or_(
                            OutboxMessage.next_attempt_at <= now,
                            and_(
                                OutboxMessage.next_attempt_at.is_(None),
                                OutboxMessage.created_at <= now - _grace(),
                            ),
                        ),
                    ),
                    and_(
                        OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until < now
                    ),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def _describe(message: OutboxMessage) -> str:
    return f"{message.kind} {message.dedupe_key}"


dead.register(
    dead.DeadKind("outbox", _l("Award follow-ups (outbox)"), OutboxMessage, _describe, enqueue)
)
