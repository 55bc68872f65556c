"""The outbox: side effects of awards (notifications, webhooks) as rows written in the issuing
transaction, dispatched by jobs after the commit.

A row exists exactly once per ``dedupe_key`` (unique), so a crash or a replay can neither lose
the side effect nor owe it twice. Dispatching claims a row with a lease before running its
handler and marks it sent after; a worker that dies mid-way leaves the lease to expire and the
sweep hands the row to another worker. Handlers receive the row, whose ``dedupe_key`` is a
stable idempotency key (e.g. the email's Message-ID), so a resend after such a crash can be
recognised downstream.

Issue 7 (email) and issue 8 (webhooks) register handlers with :func:`handler`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.awards.models import OutboxMessage, OutboxState
from app.background import queue
from app.database import in_transaction
from app.extensions import db
from app.models.base import utcnow
from app.settings import number

log = logging.getLogger(__name__)

NOTIFY_AWARD = "notify_award"
MAX_ATTEMPTS = 8

Handler = Callable[[OutboxMessage], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out outbox rows of ``kind`` (one per kind)."""

    def decorator(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return decorator


@handler(NOTIFY_AWARD)
def _log_award(message: OutboxMessage) -> None:
    # Placeholder until the award email (issue 7) registers its own handler for this kind.
    log.info("award notification %s: %s", message.dedupe_key, message.payload)


def write(messages: Sequence[dict[str, Any]]) -> list[int]:
    """Add outbox rows (``kind``, ``dedupe_key``, ``assertion_id``, ``payload``) in the
    caller's transaction; rows whose key exists are skipped. Returns the new rows' ids."""
    if not messages:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [{"state": OutboxState.PENDING, "attempts": 0, "created_at": now,
             "payload": {}, "assertion_id": None, **m} for m in messages]
    ids: list[int] = []
    for start in range(0, len(rows), 500):
        stmt = (insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(OutboxMessage.id))
        ids.extend(db.session.scalars(stmt, rows[start:start + 500]))
    return ids


def enqueue(ids: Iterable[int]) -> None:
    """Dispatch rows in the background; call after the commit that wrote them."""
    ids = list(ids)
    for start in range(0, len(ids), 500):
        dispatch_task(ids[start:start + 500])


def _claim(message_id: int) -> OutboxMessage | None:
    def claim() -> int:
        now = utcnow()
        return db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, or_(
                OutboxMessage.state == OutboxState.PENDING,
                and_(OutboxMessage.state == OutboxState.SENDING,
                     OutboxMessage.lease_until < now)))
            .values(state=OutboxState.SENDING, lease_until=now + _lease(),
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount

    return db.session.get(OutboxMessage, message_id) if in_transaction(claim) else None


def _lease() -> timedelta:
    # How long a claimed row is a worker's before the sweep may hand it to another.
    return timedelta(seconds=number("OUTBOX_LEASE_SECONDS", 300))


def _grace() -> timedelta:
    # Rows still pending this long after they were written lost their dispatch job (the
    # process died between commit and enqueue): the sweep dispatches them.
    return timedelta(seconds=number("OUTBOX_GRACE_SECONDS", 30))


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0) -> float:
    """Exponential back-off with jitter: about base, 2·base, 4·base … up to ``cap``."""
    return min(cap, base * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


def dispatch(message_id: int) -> float | None:
    """Carry out one row. Returns None when done (or not ours), else seconds until a retry."""
    message = _claim(message_id)
    if message is None:
        return None
    run = HANDLERS.get(message.kind)
    try:
        if run is None:
            raise LookupError(f"no handler for outbox kind {message.kind!r}")
        run(message)
    except Exception as exc:  # any failure of a side effect is retried, then dead-lettered
        db.session.rollback()
        message = in_transaction(partial(_failed, message_id, exc))
        if message.state == OutboxState.DEAD:
            log.error("outbox %s dead after %s attempts: %s", message.dedupe_key,
                      message.attempts, exc)
            return None
        delay = (message.next_attempt_at - utcnow()).total_seconds()
        log.warning("outbox %s failed (attempt %s), retry in %.0fs: %s", message.dedupe_key,
                    message.attempts, delay, exc)
        return max(delay, 0.1)

    def sent() -> None:
        row = db.session.get(OutboxMessage, message_id)
        row.state, row.sent_at, row.lease_until = OutboxState.SENT, utcnow(), None

    in_transaction(sent)
    return None


def _failed(message_id: int, exc: Exception) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.lease_until = None
    if message.attempts >= MAX_ATTEMPTS:
        message.state = OutboxState.DEAD
    else:
        message.state = OutboxState.PENDING
        message.next_attempt_at = utcnow() + timedelta(seconds=backoff(message.attempts))
    return message


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
    return list(db.session.scalars(
        select(OutboxMessage.id).where(or_(
            and_(OutboxMessage.state == OutboxState.PENDING, or_(
                OutboxMessage.next_attempt_at <= now,
                and_(OutboxMessage.next_attempt_at.is_(None),
                     OutboxMessage.created_at <= now - _grace()))),
            and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until < now)))
        .order_by(OutboxMessage.id).limit(limit)))


def dead(limit: int = 200) -> list[OutboxMessage]:
    """The dead-letter list: rows that failed every attempt, newest first."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == OutboxState.DEAD)
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def retry_dead(message_id: int) -> None:
    """Give a dead row a fresh set of attempts (from the dead-letter view)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is not None and message.state == OutboxState.DEAD:
        message.state, message.attempts, message.next_attempt_at = OutboxState.PENDING, 0, None
        db.session.commit()
        enqueue([message_id])
