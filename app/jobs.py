"""The background job queue (huey): SQLite storage by default, Redis when REDIS_URL is set.

Tasks run inside an application context created once per consumer process. In tests the
queue runs in immediate mode (tasks execute in the calling thread).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _make_huey() -> Huey:
    if os.environ.get("HUEY_IMMEDIATE", "").lower() in {"1", "true", "yes"}:
        return MemoryHuey("badgebridge", immediate=True)
    if url := os.environ.get("REDIS_URL"):
        return RedisHuey("badgebridge", url=url)
    _INSTANCE.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("badgebridge", filename=str(_INSTANCE / "jobs.db"))


huey: Huey = _make_huey()
_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Remember the app so tasks can run inside its context."""
    global _app
    _app = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True


def task(**task_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Like ``huey.task`` but the function runs inside the Flask application context."""

    def decorator(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if has_app_context():
                return fn(*args, **kwargs)
            app = _app or _consumer_app()
            with app.app_context():
                return fn(*args, **kwargs)

        return huey.task(**task_kwargs)(wrapper)

    return decorator


def _consumer_app() -> Flask:
    from app import create_app

    global _app
    _app = create_app()
    return _app


def queue_health() -> tuple[bool, str]:
    """Return (ok, detail) for the health check: can we reach the queue's storage?"""
    try:
        huey.pending_count()
    except Exception as exc:  # any storage failure means "queue down"
        return False, f"{type(exc).__name__}: {exc}"
    name = type(huey).__name__
    return True, name if not has_app_context() else f"{name} ({current_app.name})"
