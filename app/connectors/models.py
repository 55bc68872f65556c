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


class ConnectorAuth:
    """How the connector reaches the LMS: one admin/web-service token for every course, or
    (Canvas) OAuth 2 with a developer key, an instructor authorizing each course once."""

    TOKEN = "token"
    OAUTH = "oauth"
    ALL = (TOKEN, OAUTH)


class GradebookConnector(TimestampMixin, Model):
    """One registration's connector to its LMS's own gradebook (beside AGS).

    An admin sets it in the console; ``token_encrypted`` is a Moodle web-service token or a
    Canvas API token (``flask secrets rotate`` re-encrypts it with the other secrets).
    ``last_error`` is the sentence staff and the admin read after a failed read. With
    ``auth = "oauth"`` (Canvas) the token is empty and the Canvas API developer key's client id
    and encrypted secret are kept instead; ``enforce_scopes`` mirrors the key's "Enforce
    Scopes" switch, so the authorization asks for exactly the scopes the reads need.
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
    auth: Mapped[str] = mapped_column(String(20), default=ConnectorAuth.TOKEN)
    oauth_client_id: Mapped[str | None] = mapped_column(String(255))
    oauth_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    enforce_scopes: Mapped[bool] = mapped_column(Boolean, default=False)


class CanvasAuthorization(TimestampMixin, Model):
    """A course's Canvas OAuth 2 grant: the instructor who authorized it, their Canvas user
    id, the refresh token and the current access token (both encrypted; ``flask secrets
    rotate`` re-encrypts them). ``problem`` is the sentence staff read once Canvas refused the
    refresh token (revoked or expired): the course needs authorizing again."""

    __tablename__ = "canvas_authorization"

    context_id: Mapped[int] = mapped_column(
        ForeignKey("context.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    canvas_user_id: Mapped[str] = mapped_column(String(64), default="")
    refresh_token_encrypted: Mapped[str] = mapped_column(Text)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    problem: Mapped[str | None] = mapped_column(Text)
