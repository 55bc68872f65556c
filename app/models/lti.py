"""LTI tenancy: platform registrations, their deployments and the tool's own key pairs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id


class RegistrationStatus:
    ACTIVE = "active"
    PENDING = "pending"  # waits for an admin's approval (dynamic registration)
    DISABLED = "disabled"


class Registration(TimestampMixin, Model):
    """A platform (issuer + client_id) that may launch the tool: one tenant."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    key_set_url: Mapped[str | None] = mapped_column(String(1000))
    key_set: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    product_family: Mapped[str] = mapped_column(String(50), default="")
    # The institution's name as its launches give it (tool_platform): auto-created issuers'.
    platform_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.ACTIVE)
    # False once a paged AGS results request failed where an unpaged one worked (Moodle 4.5
    # fails `limit` on results for LTI 1.3 tools): later syncs ask for everything at once.
    ags_results_paging: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Whether the LMS's institution/system administrators are staff in every course (opt-in;
    # otherwise only a course's own membership roles make someone staff there).
    institution_admins_are_staff: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE


class Deployment(TimestampMixin, Model):
    """A deployment of the tool inside a registration (Canvas: per account/course)."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.ACTIVE)

    registration: Mapped[Registration] = relationship(back_populates="deployments")

    @property
    def is_active(self) -> bool:
        return self.status == RegistrationStatus.ACTIVE


class ToolKey(TimestampMixin, Model):
    """An RSA key pair of the tool; the private half is encrypted at rest."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    # active: signs and is published; retiring: published only (overlap); retired: gone.
    status: Mapped[str] = mapped_column(String(20), default="active")
    retire_after: Mapped[datetime | None] = mapped_column(AwareDateTime())
