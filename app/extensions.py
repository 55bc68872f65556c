"""Flask extensions, created unbound and attached in the application factory."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from app.security import limit_storage  # noqa: F401  (registers swept-memory://)

# One naming convention so Alembic (and SQLite batch mode) can name every constraint.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # ``db.Model`` is made at run time; type checkers see the declarative base it extends.
    Model = Base
else:
    Model = db.Model
cache = Cache()


class RouteLimiter(Limiter):
    """Flask-Limiter whose request hooks run only where they have something to count.

    Flask-Limiter hooks every request (before, after, teardown: about 0.1 ms of CPU each
    request) to apply default and application-wide limits. The tool sets none: its limits sit
    on views and blueprints (:func:`app.security.limits.rate_limit`), so on any other route
    the hooks find nothing to count and add no header. Here they are skipped there, and run
    unchanged (same counting, same headers, same 429) on routes with a limit. The
    before-request check counts only blueprint limits then (a limited view counts its own,
    in its decorator), so it runs only under a limited blueprint. Should a default,
    application or meta limit ever be configured, every request keeps every hook.
    """

    _GLOBAL_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")

    def init_app(self, app: Flask) -> None:
        """Set the limiter up as Flask-Limiter does, then gate its hooks on the route."""
        super().init_app(app)
        if any(app.config.get(name) for name in self._GLOBAL_LIMITS):
            return
        limits = self._route_limits(app)
        for hooks, before in (
            (app.before_request_funcs, True),
            (app.after_request_funcs, False),
            (app.teardown_request_funcs, False),
        ):
            hooks[None] = [self._gated(hook, limits, before) for hook in hooks.get(None, [])]

    def _gated(
        self, hook: Callable[..., Any], limits: Callable[[], tuple[bool, bool]], before: bool
    ) -> Callable[..., Any]:
        """``hook`` itself if it is not one of this limiter's, else a copy run where needed."""
        owner = getattr(hook, "__self__", None) or (getattr(hook, "args", None) or (None,))[0]
        if owner is not self:
            return hook

        def gated(*args: Any) -> Any:
            if limits()[0 if before else 1]:
                return hook(*args)
            return args[0] if args else None  # after_request: the response passes through

        return gated

    def _route_limits(self, app: Flask) -> Callable[[], tuple[bool, bool]]:
        """For the request's route: whether the before-request check has a limit to count
        (a blueprint's, on a view without its own), and whether any limit applies (memoized
        per endpoint: limits are declared when the views are, before any request)."""
        known: dict[str | None, tuple[bool, bool]] = {}

        def limits() -> tuple[bool, bool]:
            endpoint = request.endpoint
            found = known.get(endpoint)
            if found is None:
                view = app.view_functions.get(endpoint or "")
                manager = self.limit_manager
                own = bool(view and manager.decorated_limits(get_qualified_name(view)))
                inherited = bool(
                    request.blueprint and manager.blueprint_limits(app, request.blueprint)
                )
                found = known[endpoint] = (inherited and not own, own or inherited)
            return found

        return limits


# Rate limits of anonymous endpoints, per client address; storage and limits come from the
# settings (``RATELIMIT_STORAGE_URI``: Redis when ``REDIS_URL`` is set, else the process's
# memory, ``swept-memory://`` registered by :mod:`app.security.limit_storage`).
limiter = RouteLimiter(get_remote_address)


class _Migrations:
    """Flask-Migrate's ``app.extensions["migrate"]``, set up on first use.

    Alembic and its templates weigh about 12 MiB; only a process that migrates (``flask db``,
    ``flask_migrate.upgrade()``) needs them, not every web worker and queue consumer.
    """

    def __init__(self, app: Flask, directory: str) -> None:
        self._app, self._directory = app, directory
        self._config: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._config is None:
            from flask_migrate import Migrate

            Migrate(self._app, db, directory=self._directory, render_as_batch=True)
            self._config = self._app.extensions["migrate"]
        return getattr(self._config, name)


class _MigrationCommands(click.Group):
    """``flask db``: takes on Flask-Migrate's command group (its options, callback and
    commands) when a ``db`` command is parsed or listed, not when the app is made."""

    def _load(self) -> None:
        if not self.commands:
            from flask_migrate.cli import db as group

            self.params, self.callback, self.commands = group.params, group.callback, group.commands

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        self._load()
        return super().make_context(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)


def init_migrations(app: Flask, directory: str) -> None:
    """Wire Flask-Migrate (batch mode for SQLite) without importing it yet."""
    app.extensions["migrate"] = _Migrations(app, directory)
    app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."))


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """Make SQLite behave: real transactions (SAVEPOINTs work), WAL, foreign keys.

    pysqlite's own transaction handling breaks SAVEPOINT (SQLAlchemy documents this); we take
    it over and emit BEGIN ourselves in :func:`_sqlite_on_begin`.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # 8 KiB pages for a new database (no effect on an existing one): a signed assertion's
    # row (its credential and VC-JWT, about 7 KiB) fits in one page instead of two (one of
    # them an overflow page), so committing 500 issued credentials writes half the WAL
    # frames for the same bytes (13 ms of CPU instead of 26 on the bench machine).
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes, fewer fsyncs
    # Checkpoint the WAL into the database every 32 MiB instead of SQLite's 4 MiB: issuing
    # writes about 3.5 MiB per 500 credentials, and the default ran a checkpoint (two fsyncs
    # and a rewrite of the pages) in nearly every commit. Durability is unchanged (the WAL
    # is the journal); only the WAL file grows larger between checkpoints.
    cursor.execute("PRAGMA wal_autocheckpoint=8192")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


#: Execution option: the transaction this connection begins takes the write lock at once
#: (SQLite's BEGIN IMMEDIATE); see :func:`app.database.begins_writing`.
WRITE_LOCK_AT_BEGIN = "badgebridge_write_lock_at_begin"


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        writer = conn.get_execution_options().get(WRITE_LOCK_AT_BEGIN, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
