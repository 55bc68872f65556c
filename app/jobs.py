"""The background job queue (huey): SQLite storage by default, Redis when REDIS_URL is set.

Tasks run inside an application context created once per consumer process. In tests the
queue runs in immediate mode (tasks execute in the calling thread). ``flask worker`` starts
a consumer (with the periodic sweep); ``HUEY_SQLITE_PATH`` moves the SQLite queue file.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

_INSTANCE = Path(__file__).resolve().parent.parent / "instance"
# Modules that declare tasks: a consumer must import them to know every task by name.
TASK_MODULES = ("app.grades.tasks", "app.awards.outbox", "lti.storage")
log = logging.getLogger(__name__)


def _make_huey() -> Huey:
    if os.environ.get("HUEY_IMMEDIATE", "").lower() in {"1", "true", "yes"}:
        return MemoryHuey("badgebridge", immediate=True)
    if url := os.environ.get("REDIS_URL"):
        return RedisHuey("badgebridge", url=url)
    path = Path(os.environ.get("HUEY_SQLITE_PATH") or _INSTANCE / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("badgebridge", filename=str(path))


huey: Huey = _make_huey()
_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Remember the app so tasks can run inside its context."""
    global _app
    _app = app
    if app.config.get("HUEY_IMMEDIATE"):
        huey.immediate = True
    app.cli.add_command(worker_command)
    for module in TASK_MODULES:
        importlib.import_module(module)


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


def periodic(schedule: Callable[..., bool]) -> Callable[[Callable[[], Any]], Any]:
    """Like ``huey.periodic_task`` but the function runs inside the application context."""

    def decorator(fn: Callable[[], Any]) -> Any:
        @functools.wraps(fn)
        def wrapper() -> Any:
            app = _app or _consumer_app()
            with app.app_context():
                return fn()

        return huey.periodic_task(schedule)(wrapper)

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


@click.command("worker")
@click.option("-w", "--workers", default=2, show_default=True, help="Concurrent workers.")
@click.option("-k", "--worker-type", default="thread", show_default=True,
              type=click.Choice(["thread", "process"]))
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic sweep here.")
@with_appcontext
def worker_command(workers: int, worker_type: str, no_periodic: bool) -> None:
    """Start a job consumer (huey) for syncs, awards and notifications."""
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is set: jobs run inline, no worker needed")
    from app.grades.tasks import sweep

    # Pick up what a previous worker left behind (dead worker, lost messages) right away.
    log.info("startup sweep: %s", sweep())
    consumer = huey.create_consumer(workers=workers, worker_type=worker_type,
                                    periodic=not no_periodic, check_worker_health=True)
    consumer.run()
