"""Test fixtures: a real app per test session on SQLite (default) or PostgreSQL + Redis.

``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` switch the suite to PostgreSQL and Redis (CI sets
both). The schema is built by running the Alembic migrations, so every run also proves them.

Layout: ``tests/<area>/`` mirrors the code area it tests (``app/<area>``, ``lti``,
``badge_design``); ``tests/architecture`` checks the walls and that the models match the
migrations; ``tests/factories.py`` builds rows (factory_boy); ``tests/support`` holds shared
fixtures. The browser journeys (``tests/browser``) start from an empty database and go through
the UI: what a journey is about is never made by a factory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.workers import worker_database_url, worker_redis_url

pytest_plugins = ["tests.support.lti_env", "tests.support.admin"]

_TMP = Path(tempfile.mkdtemp(prefix="badgebridge-tests-"))
# Settings are read from the environment when the app module is imported: set them first.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["HUEY_IMMEDIATE"] = "1"
# The sandbox LMS listens on loopback; workers started as subprocesses read this too.
os.environ["OUTBOUND_ALLOW_PRIVATE_NETWORKS"] = "true"
os.environ["DATABASE_URL"] = worker_database_url(os.environ.get("TEST_DATABASE_URL"), _TMP)
if os.environ.get("TEST_REDIS_URL"):
    os.environ["REDIS_URL"] = worker_redis_url(os.environ["TEST_REDIS_URL"])
else:
    os.environ.pop("REDIS_URL", None)


@pytest.fixture(scope="session")
def _app_session():
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {"TESTING": True, "PUBLIC_BASE_URL": "http://localhost", "CACHE_DIR": str(_TMP / "cache")}
    )
    with app.app_context():
        if os.environ.get("TEST_DATABASE_URL"):
            # A shared server database may hold an earlier run, even one at a revision that no
            # longer exists: start from an empty schema, so the migrations run from scratch.
            from app.extensions import db

            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        upgrade()
    return app


def _clean(app) -> None:
    from app.background.queue import huey
    from app.extensions import cache, db, limiter

    # What an earlier test left in the in-memory queue (a launch's delayed sync, a retry)
    # names rows that no longer exist, or, as SQLite reuses ids after the wipe, other rows.
    huey.flush()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        cache.clear()
        limiter.reset()  # rate-limit counters start afresh for each test


@pytest.fixture
def app(_app_session) -> Iterator:
    """The application, with empty tables and an empty cache for each test."""
    _clean(_app_session)
    _app_session.config["PUBLIC_BASE_URL"] = "http://localhost"  # e2e fixtures point it live
    with _app_session.app_context():
        yield _app_session
    from app.extensions import db

    with _app_session.app_context():
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
