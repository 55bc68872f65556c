"""Shared column helpers for the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as such on PostgreSQL and SQLite)."""
    return datetime.now(UTC)


def new_public_id() -> str:
    """A random public identifier (UUID4): never sequential, never guessable."""
    return str(uuid.uuid4())


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, onupdate=utcnow)
