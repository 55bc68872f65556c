"""Models of the registration admin area: console accounts and how registrations came to be."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id
from app.models.lti import Registration


class AdminUser(TimestampMixin, Model):
    """A person who may use the admin console (never an LTI user: no launch reaches here)."""

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Second factor: the TOTP secret (encrypted at rest), the last time step accepted (a code is
    # good once) and the SHA-256 hashes of the unused recovery codes.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def totp_enabled(self) -> bool:
        """Whether signing in needs a second factor."""
        return self.totp_secret_encrypted is not None


class AdminSession(Model):
    """One signed-in console session; the cookie carries only its random id.

    Checked on every console request, so signing out, a password change or an admin's
    "sign out everywhere" ends it server-side: a copied cookie stops working at once.
    """

    __tablename__ = "admin_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie id
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # None while the second factor is still owed; a pending session opens nothing.
    second_factor_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    user: Mapped[AdminUser] = relationship()


class LoginThrottle(Model):
    """Failed sign-ins of one account or one address, and until when they must wait."""

    __tablename__ = "admin_login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)  # account:… / address:… / totp:…
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())


class RegistrationSource(TimestampMixin, Model):
    """How a registration was made, and what the platform granted when it was.

    Kept beside :class:`Registration` rather than in it, so the launch path's table stays
    what pylti1p3 needs. ``adopt_deployments`` marks registrations whose platform names its
    deployments only at launch (Canvas dynamic registration): a launch from an unknown
    deployment of such an active registration adds that deployment.
    """

    __tablename__ = "registration_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    method: Mapped[str] = mapped_column(String(20))  # "dynamic" or "manual"
    openid_configuration_url: Mapped[str | None] = mapped_column(String(1000))
    platform_version: Mapped[str] = mapped_column(String(100), default="")
    granted_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The platform's answer to the registration POST, for support and audits.
    tool_configuration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    adopt_deployments: Mapped[bool] = mapped_column(Boolean, default=False)

    registration: Mapped[Registration] = relationship()


class ChangeStatus:
    PENDING = "pending"  # waits for an admin; the registration works unchanged meanwhile
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer proposal for the same registration replaced it


class RegistrationChange(TimestampMixin, Model):
    """New endpoints or keys for an existing registration, waiting for an admin's consent.

    Dynamic registration run again for a known (issuer, client_id) proposes a change rather
    than making it: whoever can open ``/lti/register`` must not be able to rewrite where a
    live registration's keys and tokens come from. ``proposed`` holds the registration's
    endpoint fields and deployments as the platform announced them, and what the registration
    source records (scopes, the platform's answer); approving applies it.
    """

    __tablename__ = "registration_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    origin: Mapped[str] = mapped_column(String(20), default="dynamic")
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=ChangeStatus.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decided_by: Mapped[str] = mapped_column(String(320), default="")

    registration: Mapped[Registration] = relationship()
