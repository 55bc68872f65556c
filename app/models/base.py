"""Shared column helpers for the models."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as such on PostgreSQL and SQLite)."""
    return datetime.now(UTC)


def new_public_id() -> str:
    """A random public identifier (UUID4): never sequential, never guessable."""
    return str(uuid.uuid4())


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


UPSERT_CHUNK = 500  # rows per statement: keeps SQLite under its bound-parameter limit


def upsert(model: type, rows: list[dict[str, Any]], keys: Sequence[str] = (),
           update_columns: Sequence[str] = ()) -> None:
    """INSERT rows; on a conflict (of ``keys``, or of any unique key when none are given)
    update ``update_columns``, or do nothing.

    One statement for SQLite and PostgreSQL, so concurrent writers never fail on a unique key
    and no check-then-insert race or savepoint per row is needed.
    """
    from app.extensions import db

    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), UPSERT_CHUNK):
        stmt = insert(model)
        if update_columns:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: getattr(stmt.excluded, c) for c in update_columns})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys) or None)
        db.session.execute(stmt, rows[start:start + UPSERT_CHUNK])


def find_by_ref(model: type, ref: str | int) -> Any:
    """A row by its public id or, as the CLI also accepts, its numeric id; None if absent."""
    from app.extensions import db

    text = str(ref).strip()
    if text.isdigit():
        row = db.session.get(model, int(text))
        if row is not None:
            return row
    return db.session.scalars(select(model).filter_by(public_id=text)).first()
