"""A registration's gradebook connector: which LMS API, where, with which (encrypted) token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin


class ConnectorKind:
    MOODLE = "moodle"
    CANVAS = "canvas"
    ALL = (MOODLE, CANVAS)


class GradebookConnector(TimestampMixin, Model):
    """One registration's connector to its LMS's own gradebook (beside AGS).

    An admin sets it in the console; ``token_encrypted`` is a Moodle web-service token or a
    Canvas API token (``flask secrets rotate`` re-encrypts it with the other secrets).
    ``last_error`` is the sentence staff and the admin read after a failed read.
    """

    __tablename__ = "gradebook_connector"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(String(1000))
    token_encrypted: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
