"""The queue takes its storage from the app's settings in init_app, not at import time."""

from __future__ import annotations

from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from app.background import queue


def _configured(app, **settings):
    queue._configure({**app.config, **settings})
    return queue.huey


def test_settings_pick_the_storage(app, tmp_path):
    try:
        huey = _configured(
            app,
            HUEY_IMMEDIATE=False,
            REDIS_URL=None,
            HUEY_SQLITE_PATH=str(tmp_path / "q" / "jobs.db"),
        )
        assert isinstance(huey.storage, SqliteStorage) and not huey.immediate
        assert huey.storage.filename == str(tmp_path / "q" / "jobs.db")

        huey = _configured(app, HUEY_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:6379/8")
        assert isinstance(huey.storage, RedisStorage) and not huey.immediate
    finally:
        huey = _configured(app)  # the test session's own settings: immediate
    assert huey.immediate and isinstance(huey.storage, MemoryStorage)


def test_a_configured_app_runs_its_tasks_inline_in_tests(app):
    assert app.config["HUEY_IMMEDIATE"] and queue.huey.immediate
