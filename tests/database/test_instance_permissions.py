"""instance/ and the SQLite database in it are private to the account that runs the tool."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from app.settings import load_settings


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def fresh_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path / "instance"


def test_instance_folder_and_database_are_owner_only(fresh_instance):
    config = load_settings(fresh_instance)
    database = fresh_instance / "badgebridge.db"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}"
    assert _mode(fresh_instance) == 0o700
    assert _mode(database) == 0o600
    # SQLite's write-ahead log and shared-memory files follow the database's mode.
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert _mode(database.with_name("badgebridge.db-wal")) == 0o600


def test_an_existing_world_readable_database_is_tightened(fresh_instance):
    fresh_instance.mkdir()
    database = fresh_instance / "badgebridge.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    load_settings(fresh_instance)
    assert _mode(database) == 0o600
