"""A sync never waits on the platform while holding the database's write lock.

Columns are read in parallel threads, and a thread may write (a platform that fails paged
results is remembered on its registration). If the sync held an uncommitted write (its
heartbeat) while waiting for the next column, such a thread would wait on SQLite's lock while
the sync waits on the thread: one busy timeout per retry, the job stalled for minutes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from app.extensions import db
from app.grades import sync
from app.grades.models import Job
from app.models.base import utcnow
from tests.grades.support import new_course


def _write_lock_is_free(path: str) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def test_the_sync_holds_no_write_lock_while_columns_arrive(app, registered, browser, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock; PostgreSQL locks rows")
    path = db.engine.url.database
    columns = (("Quiz 1", 10.0), ("Quiz 2", 10.0), ("Project", 100.0))
    course = new_course(registered, browser, "canvas", learners=5, columns=columns)
    read_results = sync.read_results
    free_between_columns: list[bool] = []

    def watched(*args: Any) -> Iterator[Any]:
        for item in read_results(*args):
            yield item
            free_between_columns.append(_write_lock_is_free(path))  # the sync asks for more

    def heartbeat() -> None:  # as the job runner's: an UPDATE, committed by the caller
        db.session.execute(update(Job).values(heartbeat_at=utcnow()))

    monkeypatch.setattr(sync, "read_results", watched)
    sync.sync_course(course.context.id, on_chunk=heartbeat)

    assert len(free_between_columns) == len(columns)
    assert all(free_between_columns)
