"""The outbox: side effects owed (every email, webhook events) as rows written in the
transaction that owes them, dispatched by jobs after the commit.

A row exists exactly once per ``dedupe_key`` (unique), so a crash or a replay can neither lose
the side effect nor owe it twice. Dispatching claims a row with a lease before running its
handler and marks it done after; a worker that dies mid-way leaves the lease to expire and the
sweep hands the row to another worker. Handlers receive the row, whose ``dedupe_key`` is a
stable idempotency key (e.g. the email's Message-ID), so a resend after such a crash can be
recognised downstream. A handler returns None when the effect happened (the row is sent), or
the final state that says why nothing was needed (``no_email``, ``dropped``); it raises to be
retried with back-off, or :class:`~app.background.handlers.GiveUp` to go to the dead list at
once.

The claim, back-off and dead list are :mod:`app.background.leases`; the handlers of the
kinds (the emails, webhooks) are registered with :func:`app.background.handlers.handler`.
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
from app.background.handlers import GiveUp, handler_for
from app.database import CHUNK, dialect_insert, in_transaction
from app.extensions import db
from app.models.base import utcnow
from app.settings import number

log = logging.getLogger(__name__)


def write(messages: Sequence[dict[str, Any]]) -> list[int]:
    """Add outbox rows (``kind``, ``dedupe_key`` and any of ``assertion_id``, ``user_id``,
    ``payload``) in the caller's transaction; rows whose key exists are skipped. Returns the
    new rows' ids."""
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
            "user_id": None,
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
        final = handler_for(message.kind)(message)
    except Exception as exc:  # any failure of a side effect is retried, then dead-lettered
        db.session.rollback()
        retryable = not isinstance(exc, GiveUp)
        message, delay = in_transaction(partial(_failed, message_id, exc, retryable))
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

    def done() -> None:
        # The handler's own changes to the row (an email's recipient) are committed here too.
        row = db.session.get_one(OutboxMessage, message_id)
        row.state, row.lease_until, row.next_attempt_at = final or OutboxState.SENT, None, None
        if row.state == OutboxState.SENT:
            row.sent_at = utcnow()

    in_transaction(done)
    return None


def _failed(message_id: int, exc: Exception, retryable: bool) -> tuple[OutboxMessage, float | None]:
    # The row and the seconds until its retry (None: it went to the dead list).
    message = db.session.get_one(OutboxMessage, message_id)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    return message, leases.fail(message, error, retryable=retryable)


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
