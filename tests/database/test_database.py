"""The shared database helpers: aware datetimes round-trip, one retry-on-lock policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import OperationalError

from app import database
from app.database import AwareDateTime, in_transaction, retry_on_lock
from app.extensions import db

_metadata = MetaData()
_moments = Table(
    "test_aware_moment",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", AwareDateTime()),
)

# Any zone: fixed offsets down to the minute, and the IANA zones (with their DST folds).
_zones = st.one_of(
    st.builds(
        timezone,
        st.timedeltas(
            min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
        ).map(lambda d: timedelta(minutes=d // timedelta(minutes=1))),
    ),
    st.timezones(),
)
# Years 2..9998 so that the moment in UTC is still a datetime Python can hold.
_aware = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=_zones
)


@pytest.fixture
def moment_table(app):
    _metadata.create_all(db.engine)
    yield
    db.session.remove()
    _metadata.drop_all(db.engine)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=_aware)
def test_any_aware_datetime_round_trips(moment_table, moment: datetime) -> None:
    row_id = db.session.execute(
        insert(_moments).values(at=moment).returning(_moments.c.id)
    ).scalar_one()
    db.session.commit()
    db.session.expire_all()
    stored = db.session.execute(select(_moments.c.at).where(_moments.c.id == row_id)).scalar_one()
    # The same instant, handed back aware in UTC. (Compared in UTC: Python never finds a
    # repeated wall time with fold=1 equal to a time in another zone.)
    assert stored.utcoffset() == timedelta(0)
    assert stored == moment.astimezone(UTC)
    # and comparisons in SQL see the same instant (SQLite compares the stored text).
    assert (
        db.session.execute(
            select(_moments.c.id).where(_moments.c.id == row_id, _moments.c.at == moment)
        ).scalar_one()
        == row_id
    )
    db.session.execute(_moments.delete())
    db.session.commit()


def test_naive_values_are_taken_as_utc(moment_table) -> None:
    db.session.execute(insert(_moments).values(at=datetime(2026, 1, 2, 3, 4, 5)))
    db.session.commit()
    assert db.session.scalar(select(_moments.c.at)) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _locked() -> OperationalError:
    return OperationalError("UPDATE x", {}, Exception("database is locked"))


def test_in_transaction_replays_lock_conflicts_then_commits(app, monkeypatch) -> None:
    monkeypatch.setattr(database.time, "sleep", lambda _s: None)
    calls = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert in_transaction(work) == "done"
    assert len(calls) == 3


def test_the_policy_gives_up_after_its_attempts(app, monkeypatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(database.time, "sleep", pauses.append)

    @retry_on_lock
    def always_locked() -> None:
        raise _locked()

    with pytest.raises(OperationalError):
        always_locked()
    assert len(pauses) == database.LOCK_ATTEMPTS - 1
    assert max(pauses) <= 0.5 and pauses == sorted(pauses)


def test_the_policy_gives_up_after_its_patience_however_few_attempts(app, monkeypatch) -> None:
    # Each attempt may wait out SQLite's busy timeout on a writer that never lets go: a
    # clock that moves 31 s per attempt stops the replays after the second, not the 60th.
    clock = iter(range(0, 10_000, 31))
    monkeypatch.setattr(database.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(database.time, "sleep", lambda _s: None)
    calls = []

    def always_locked() -> None:
        calls.append(1)
        raise _locked()

    with pytest.raises(OperationalError):
        in_transaction(always_locked)
    assert len(calls) == 2  # started at 0 with patience 60: gave up when the clock read 62


def test_other_errors_are_not_replayed(app) -> None:
    calls = []

    def work() -> None:
        calls.append(1)
        raise OperationalError("SELECT", {}, Exception("no such table: nope"))

    with pytest.raises(OperationalError):
        in_transaction(work)
    assert calls == [1]


def test_a_new_sqlite_database_gets_8_kib_pages(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 8192
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_connections_are_pinged_on_checkout_only_on_a_server(app, monkeypatch) -> None:
    engine = db.engine
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    for _ in range(2):  # the second checkout takes the pooled connection: pinged, if ever
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    assert bool(pings) == (engine.dialect.name != "sqlite")
