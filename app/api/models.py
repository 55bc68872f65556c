"""API keys: bearer secrets for scripts and integrations, stored only as hashes."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id
from app.models.lti import Registration


def hash_secret(key: str) -> str:
    """SHA-256 of a key: keys are 256-bit random tokens, so a slow hash buys nothing."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(TimestampMixin, Model):
    """A key scoped to one registration (tenant), or an admin key when it has none."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    registration: Mapped[Registration | None] = relationship()

    @property
    def is_admin(self) -> bool:
        return self.registration_id is None
