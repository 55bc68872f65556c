"""The job queue (huey): SQLite storage by default, Redis when ``REDIS_URL`` is set.

Tasks are declared at import time on the module's ``huey`` object, but its storage is chosen
by :func:`init_app` from the app's settings (``HUEY_IMMEDIATE``, ``REDIS_URL``,
``HUEY_SQLITE_PATH``); until then it runs tasks inline in memory, so importing a module never
opens a queue. Tasks run inside an application context created once per consumer process. In
tests the queue runs in immediate mode (tasks execute in the calling thread). ``flask worker``
starts a consumer (with the periodic sweeps) in a process of its own whose app has no web
side (:mod:`app.background.consumer`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext
from huey import Huey
from huey.storage import MemoryStorage, SqliteStorage

from app.background.huey_import import redis_storage

# Modules that declare tasks: a consumer must import them to know every task by name.
TASK_MODULES = (
    "app.grades.tasks",
    "app.awards.outbox",
    "app.notifications.tasks",
    "app.webhooks.tasks",
    "app.launch.tasks",
)
log = logging.getLogger(__name__)

# Immediate (in memory) until init_app gives it the app's storage.
huey = Huey("badgebridge", immediate=True, storage_class=MemoryStorage)
_app: Flask | None = None
# Names of the periodic tasks (sweeps that poll every minute or hour), for the worker's log.
_PERIODIC: set[str] = set()


def init_app(app: Flask) -> None:
    """Give the queue the storage the app's settings ask for, remember the app so tasks run
    inside its context, and register ``flask worker``."""
    global _app
    _app = app
    _configure(app.config)
    app.cli.add_command(worker_command)
    for module in TASK_MODULES:
        importlib.import_module(module)


def _configure(config: Any) -> None:
    if config.get("HUEY_IMMEDIATE"):
        # Tests that turn immediate mode off for a while get an in-memory queue to step.
        huey.storage_class, huey.storage_kwargs = MemoryStorage, {}
        huey.immediate = True
        return
    if url := config.get("REDIS_URL"):
        huey.storage_class, huey.storage_kwargs = redis_storage(), {"url": url}
    else:
        path = Path(config["HUEY_SQLITE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey.immediate = False
    # Built again even when it was not immediate: a second app in the same process (tests,
    # the demo launcher) gets its own storage.
    huey.storage = huey.create_storage()


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

        _PERIODIC.add(f"{fn.__module__}.{fn.__name__}")
        return huey.periodic_task(schedule)(wrapper)

    return decorator


class QuietPolls(logging.Filter):
    """One line per job in the worker's log. huey writes three INFO lines per task (enqueued,
    executing, executed) and the periodic sweeps run every minute, so an idle worker filled
    its log with polls. Kept: "<job> executed in …" for queued work; dropped: "Executing",
    the scheduler's enqueueing, and every INFO line about a periodic task. Warnings and
    errors always pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        if message.startswith(("Executing ", "Enqueueing periodic task")):
            return False
        return not any(message.startswith(f"{name}:") for name in _PERIODIC)


def _consumer_app() -> Flask:
    from app import create_app

    global _app
    _app = create_app(serve_web=False)
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
@click.option(
    "-k",
    "--worker-type",
    default="thread",
    show_default=True,
    type=click.Choice(["thread", "process"]),
)
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic sweep here.")
@with_appcontext
def worker_command(workers: int, worker_type: str, no_periodic: bool) -> None:
    """Start a job consumer (huey) for syncs, awards and notifications."""
    if huey.immediate:
        raise click.ClickException("HUEY_IMMEDIATE is set: jobs run inline, no worker needed")
    options = ["-w", str(workers), "-k", worker_type, *(["--no-periodic"] if no_periodic else [])]
    if current_app.config["SERVE_WEB"]:
        _become_consumer(options)
    from app.grades.tasks import sweep

    # Pick up what a previous worker left behind (dead worker, lost messages) right away.
    log.info("startup sweep: %s", sweep())
    consumer = huey.create_consumer(
        workers=workers, worker_type=worker_type, periodic=not no_periodic, check_worker_health=True
    )
    for name in ("huey", "huey.consumer", "huey.consumer.Scheduler"):
        logging.getLogger(name).addFilter(QuietPolls())
    consumer.run()


def _become_consumer(options: list[str]) -> None:
    """Replace this process by a fresh interpreter running the consumer with a web-free app
    (same process id, environment and options). The Flask CLI builds the whole app before it
    runs a command, and the modules of the web side, once imported, stay in memory for the
    life of the process: about 10 MiB a consumer never uses."""
    from app import ROOT

    path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(
        sys.executable,
        [sys.executable, "-m", "app.background.consumer", *options],
        {**os.environ, "PYTHONPATH": path},
    )
