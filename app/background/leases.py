"""The one retry machine behind jobs, the outbox (emails, webhook events), webhook deliveries.

Every kind of background item is a row with a state, a count of attempts, the last error and
when its next attempt is due (:class:`Attempts`); kinds that a dying worker could leave
half-done also carry a lease (:class:`Leased`). The life of a row is the same for all:
:func:`claim` it (one conditional UPDATE: only one worker wins, and a lease that ran out
makes it claimable again), run it, then either mark it done (the caller's own columns) or
:func:`fail` it: back off and wait for the next attempt, or, after the last one, go to the
dead list, from which :func:`revive` gives it a fresh set of attempts. Each model names its
states in a :class:`States` and its retry knobs in a :class:`RetryPolicy`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Integer, Text, and_, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime, affected_rows
from app.extensions import db
from app.settings import number


@dataclass(frozen=True)
class States:
    """What a kind calls its states: claimable ones, the claimed one, waiting for a retry,
    and dead (the dead list)."""

    ready: tuple[str, ...]
    claimed: str
    waiting: str
    dead: str


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off base and cap (seconds) and the number of attempts; each can be tuned by a
    setting (``*_setting``: a config name read through :func:`app.settings.number`)."""

    base: float
    cap: float
    attempts: int
    base_setting: str | None = None
    cap_setting: str | None = None
    attempts_setting: str | None = None

    def max_attempts(self) -> int:
        """How many attempts a row gets before it is dead."""
        return int(_knob(self.attempts_setting, self.attempts))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before attempt ``attempt + 1`` (see :func:`backoff`)."""
        return backoff(
            attempt,
            _knob(self.base_setting, self.base),
            _knob(self.cap_setting, self.cap),
            retry_after,
        )


def _knob(setting: str | None, default: float) -> float:
    return number(setting, default) if setting else default


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Exponential back-off with jitter: about base, 2·base, 4·base … up to ``cap`` (±20 %);
    a platform's ``Retry-After`` wins when it asks for longer."""
    delay = min(cap, base * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0)


class Attempts:
    """The columns every background row has: attempts made, the last error (what the console
    shows), when the next attempt is due."""

    states: ClassVar[States]
    policy: ClassVar[RetryPolicy]

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class Leased(Attempts):
    """Rows a worker holds until ``lease_until``: a worker that dies leaves the lease to run
    out, and the row is claimable again."""

    lease_until: Mapped[datetime | None] = mapped_column(AwareDateTime())


def claimable(model: Any, now: datetime) -> Any:
    """The SQL condition of rows a worker may claim now: ready, or held under a lease that
    ran out."""
    ready = model.state.in_(model.states.ready)
    if not issubclass(model, Leased):
        return ready
    return or_(ready, and_(model.state == model.states.claimed, model.lease_until < now))


def claim(
    model: Any,
    item_id: int,
    *,
    lease: timedelta | None = None,
    now: datetime | None = None,
    **values: Any,
) -> bool:
    """Take row ``item_id`` for one attempt (no commit): one conditional UPDATE, so of
    workers racing for it exactly one gets True. Counts the attempt, sets the lease (for
    :class:`Leased` rows) and any further ``values``."""
    now = now or datetime.now(UTC)
    if issubclass(model, Leased):
        values["lease_until"] = now + lease if lease is not None else None
    return (
        affected_rows(
            update(model)
            .where(model.id == item_id, claimable(model, now))
            .values(state=model.states.claimed, attempts=model.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
        == 1
    )


def fail(
    row: Any,
    error: str,
    *,
    retryable: bool = True,
    retry_after: float | None = None,
    now: datetime | None = None,
) -> float | None:
    """Record a failed attempt on ``row`` (no commit). Returns the seconds until the next
    attempt, or None when the row went to the dead list (out of attempts, or not retryable)."""
    now = now or datetime.now(UTC)
    row.last_error = error
    if isinstance(row, Leased):
        row.lease_until = None
    if retryable and row.attempts < row.policy.max_attempts():
        delay = row.policy.delay(row.attempts, retry_after)
        row.state, row.next_attempt_at = row.states.waiting, now + timedelta(seconds=delay)
        return delay
    row.state, row.next_attempt_at = row.states.dead, None
    return None


def dead(model: Any, limit: int = 200) -> list[Any]:
    """The kind's dead list, newest first."""
    return list(
        db.session.scalars(
            select(model)
            .where(model.state == model.states.dead)
            .order_by(model.id.desc())
            .limit(limit)
        )
    )


def revive(model: Any, item_id: int) -> Any | None:
    """Give a dead row a fresh set of attempts (no commit); None if it is not dead (any more).
    The caller enqueues it after the commit."""
    revived = affected_rows(
        update(model)
        .where(model.id == item_id, model.state == model.states.dead)
        .values(state=model.states.ready[0], attempts=0, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return db.session.get(model, item_id) if revived else None
