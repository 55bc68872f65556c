"""Shared column helpers for the models."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as such on PostgreSQL and SQLite)."""
    return datetime.now(UTC)


def new_public_id() -> str:
    """A random public identifier (UUID4): never sequential, never guessable."""
    return str(uuid.uuid4())


def new_token(nbytes: int = 16) -> str:
    """A random 128-bit (by default) URL-safe token."""
    return secrets.token_urlsafe(nbytes)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def insert_ignoring_conflicts(model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: an upsert that two concurrent
    writers can run at once without a check-then-insert race or a savepoint per row."""
    from app.extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(model).on_conflict_do_nothing(), rows)
