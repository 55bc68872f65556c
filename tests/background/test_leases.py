"""The shared retry machine: claim with a lease, back-off, the dead list, revive, handlers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.awards.models import OutboxMessage, OutboxState
from app.background import handlers, leases
from app.extensions import db
from app.grades.models import Job
from app.models.base import utcnow


def _message(key: str = "k1") -> OutboxMessage:
    row = OutboxMessage(
        kind="test", dedupe_key=key, payload={}, state=OutboxState.PENDING, attempts=0
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_backoff_doubles_with_jitter_up_to_the_cap_and_honours_retry_after():
    delays = [leases.backoff(n, 10, 100) for n in (1, 2, 3, 4, 10)]
    assert 8 <= delays[0] <= 12 and 16 <= delays[1] <= 24 and 32 <= delays[2] <= 48
    assert 64 <= delays[3] <= 96 and 80 <= delays[4] <= 120
    assert leases.backoff(1, 10, 100, retry_after=500) == 500


def test_a_policy_reads_its_knobs_from_the_settings(app):
    app.config["JOB_MAX_ATTEMPTS"] = 2
    try:
        assert Job.policy.max_attempts() == 2
    finally:
        app.config.pop("JOB_MAX_ATTEMPTS")
    assert Job.policy.max_attempts() == 6


def test_only_one_claim_wins_until_the_lease_runs_out(app):
    row = _message()
    now = utcnow()
    assert leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30), now=now)
    assert not leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30), now=now)
    # The holder died: once its lease ran out another worker may take the row.
    later = now + timedelta(seconds=31)
    assert leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30), now=later)
    db.session.commit()
    db.session.refresh(row)
    assert row.state == OutboxState.SENDING and row.attempts == 2
    assert row.lease_until == later + timedelta(seconds=30)


def test_failures_back_off_until_the_last_attempt_then_the_row_is_dead(app):
    row = _message()
    now = utcnow()
    waits = []
    for _ in range(OutboxMessage.policy.attempts):
        assert leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30), now=now)
        db.session.refresh(row)
        waits.append(leases.fail(row, "boom", now=now))
        db.session.commit()
        if waits[-1] is not None:
            assert row.state == OutboxState.PENDING and row.lease_until is None
            assert row.next_attempt_at == now + timedelta(seconds=waits[-1])
    assert waits[-1] is None and all(w is not None for w in waits[:-1])
    assert row.state == OutboxState.DEAD and row.attempts == OutboxMessage.policy.attempts
    assert leases.dead(OutboxMessage) == [row]
    assert not leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30))


def test_a_failure_that_cannot_succeed_goes_to_the_dead_list_at_once(app):
    row = _message()
    assert leases.claim(OutboxMessage, row.id, lease=timedelta(seconds=30))
    db.session.refresh(row)
    assert leases.fail(row, "refused for good", retryable=False) is None
    assert row.state == OutboxState.DEAD and row.last_error == "refused for good"


def test_revive_gives_a_dead_row_fresh_attempts_and_leaves_others_alone(app):
    row, alive = _message("dead"), _message("alive")
    leases.fail(row, "x", retryable=False)
    db.session.commit()
    revived = leases.revive(OutboxMessage, row.id)
    db.session.commit()
    assert revived is row and row.state == OutboxState.PENDING and row.attempts == 0
    assert leases.revive(OutboxMessage, alive.id) is None
    assert leases.dead(OutboxMessage) == []


def test_one_handler_per_kind():
    @handlers.handler("test-kind-once")
    def first(item):
        return "first"

    assert handlers.handler_for("test-kind-once") is first
    with pytest.raises(RuntimeError):

        @handlers.handler("test-kind-once")
        def second(item):
            return "second"

    with pytest.raises(LookupError):
        handlers.handler_for("nobody-handles-this")
