"""The sandbox's own database: one SQLAlchemy engine per Flask app, never the tool's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from lti.sandbox.models import Base

EXTENSION = "lti_sandbox_db"


class SandboxDB:
    """Engine and session factory of one sandbox app."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            # Threads of the werkzeug server share the file; an in-memory DB must be one
            # connection or every thread would see an empty database.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs["poolclass"] = StaticPool
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Create the sandbox tables (the sandbox is not part of the tool's migrations); a
        sandbox database from before users had a language gets the column."""
        Base.metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("sbx_user")}
            if "lang" not in columns:
                connection.execute(
                    text("ALTER TABLE sbx_user ADD COLUMN lang VARCHAR(20) NOT NULL DEFAULT 'en'")
                )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the demo's page views read while a launch writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Attach the sandbox database to ``app`` and create its tables."""
    db = SandboxDB(app.config["SANDBOX_DATABASE_URL"])
    db.create_all()
    app.extensions[EXTENSION] = db
    app.teardown_appcontext(_close_session)


def get_db(app: Flask | None = None) -> SandboxDB:
    """The SandboxDB of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]


def session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "sandbox_session" not in g:
        g.sandbox_session = get_db().sessionmaker()
    return g.sandbox_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("sandbox_session", None)
    if s is not None:
        s.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session outside a request (seeding, tests): commits on success, rolls back on error."""
    s = get_db(app).sessionmaker()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
