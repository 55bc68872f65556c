"""Shared column helpers for the models."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime
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
