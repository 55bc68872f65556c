"""Badges (OB 2.0 BadgeClass / OB 3.0 Achievement) and their versioned artwork."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id, utcnow
from app.openbadges.models.issuer import Issuer


class BadgeStatus:
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = (DRAFT, ACTIVE, ARCHIVED)


class ExpiryPolicy:
    NONE = "none"
    FIXED = "fixed"  # every award expires on ``expires_on``
    DAYS = "days"  # each award expires ``expires_days`` after it is issued
    ALL = (NONE, FIXED, DAYS)


class Badge(TimestampMixin, Model):
    """What can be earned. ``criteria``/``enabled`` drive the automatic award pipeline."""

    __tablename__ = "ob_badge"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    issuer_id: Mapped[int] = mapped_column(
        ForeignKey("ob_issuer.id", ondelete="CASCADE"), index=True
    )
    context_id: Mapped[int | None] = mapped_column(
        ForeignKey("context.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    criteria_narrative: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"name", "url", "framework"}]: OB 2.0 AlignmentObject / OB 3.0 Alignment.
    alignments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    expiry_policy: Mapped[str] = mapped_column(String(10), default=ExpiryPolicy.NONE)
    expires_on: Mapped[datetime | None] = mapped_column(AwareDateTime())
    expires_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=BadgeStatus.ACTIVE)
    criteria: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Off by default: public, signed evidence says which criteria were met, not the scores.
    evidence_shows_scores: Mapped[bool] = mapped_column(Boolean, default=False)
    # OB 3.0 achievementType (its vocabulary, or "ext:…") and inLanguage (BCP 47).
    achievement_type: Mapped[str] = mapped_column(
        String(60), default="Badge", server_default="Badge"
    )
    language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    design: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    design_version: Mapped[int] = mapped_column(Integer, default=0)
    # The BadgeImage version new awards use (0: no artwork yet).
    image_version: Mapped[int] = mapped_column(Integer, default=0)

    issuer: Mapped[Issuer] = relationship()
    # The badge's own fields are in ``language``; these are its other language variants.
    translations: Mapped[list[BadgeTranslation]] = relationship(
        order_by="BadgeTranslation.language",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class BadgeTranslation(Model):
    """A badge's name, description and criteria text in one more language (BCP 47 tag).

    Published as a language variant of the BadgeClass / Achievement (OB ``related``)."""

    __tablename__ = "ob_badge_translation"
    __table_args__ = (UniqueConstraint("badge_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    criteria_narrative: Mapped[str] = mapped_column(Text)


class BadgeImage(Model):
    """One version of a badge's artwork: the SVG and PNGs rendered once when it was saved."""

    __tablename__ = "ob_badge_image"
    __table_args__ = (UniqueConstraint("badge_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    svg: Mapped[str | None] = mapped_column(Text)
    png_512: Mapped[bytes] = mapped_column(LargeBinary)
    png_128: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
