"""Issuers (OB 2.0 Issuer Profile / OB 3.0 Profile) and their signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id


class Issuer(TimestampMixin, Model):
    """Who awards badges: an institution (per registration), optionally overridden per course.

    ``registration_id`` is empty for issuers made on the command line; ``context_id`` is set
    when a course uses its own issuer profile instead of the institution's.
    """

    __tablename__ = "ob_issuer"
    __table_args__ = (Index("ix_ob_issuer_registration_id", "registration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )
    context_id: Mapped[int | None] = mapped_column(ForeignKey("context.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000))
    email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(1000))

    keys: Mapped[list[IssuerKey]] = relationship(
        back_populates="issuer", cascade="all, delete-orphan", order_by="IssuerKey.id"
    )


class KeyStatus:
    ACTIVE = "active"  # signs new credentials, published
    RETIRED = "retired"  # no longer signs, still published so old credentials verify
    REVOKED = "revoked"  # compromised: unpublished, its signatures stop verifying


class KeyAlgorithm:
    ED25519 = "Ed25519"  # Data Integrity proofs (eddsa-rdfc-2022), VC-JWT EdDSA on request
    P256 = "P-256"  # VC-JWT ES256, what 1EdTech's validator accepts


class IssuerKey(TimestampMixin, Model):
    """A key pair of an issuer; the private half is encrypted with the secret box.

    An issuer has one active key per algorithm; rotation replaces both.
    """

    __tablename__ = "ob_issuer_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(
        ForeignKey("ob_issuer.id", ondelete="CASCADE"), index=True
    )
    public_key_multibase: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=KeyStatus.ACTIVE)
    algorithm: Mapped[str] = mapped_column(
        String(20), default=KeyAlgorithm.ED25519, server_default=KeyAlgorithm.ED25519
    )
    retired_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    issuer: Mapped[Issuer] = relationship(back_populates="keys")
