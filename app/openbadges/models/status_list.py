"""Bitstring status lists (W3C Bitstring Status List v1.0), one series per issuer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id

# 131,072 entries (16 KiB): the spec's minimum, so one revocation hides among many.
STATUS_LIST_SIZE = 131_072


class StatusList(TimestampMixin, Model):
    """A revocation list of an issuer. Its bits are derived from the revoked assertions."""

    __tablename__ = "ob_status_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    issuer_id: Mapped[int] = mapped_column(
        ForeignKey("ob_issuer.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    size: Mapped[int] = mapped_column(Integer, default=STATUS_LIST_SIZE)
    # Allocation counter; indexes are a scrambled permutation of it (see status.py).
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    scramble: Mapped[int] = mapped_column(Integer, default=0)
    # The signed BitstringStatusListCredential as served, re-signed on every revocation.
    credential: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
