"""Counters of what happens to an award after it is issued: shares, downloads, views.

One row per event rather than a counter column: inserts never contend on a hot row, and the
analytics can draw them over time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime
from app.extensions import Model


def utcnow() -> datetime:
    # Not app.models.base's: importing that package from here would be circular (app.models
    # imports these models to register them).
    return datetime.now(UTC)


class ShareChannel:
    """Where an award went: the channels the learner page and the email offer."""

    LINKEDIN_PROFILE = "linkedin_profile"
    LINKEDIN_POST = "linkedin_post"
    COPY_LINK = "copy_link"
    DOWNLOAD_PNG = "download_png"
    DOWNLOAD_SVG = "download_svg"
    DOWNLOAD_JSON = "download_json"
    ALL = (LINKEDIN_PROFILE, LINKEDIN_POST, COPY_LINK, DOWNLOAD_PNG, DOWNLOAD_SVG, DOWNLOAD_JSON)


class ShareSource:
    """Which page the learner shared from."""

    COURSE = "course"  # the learner page inside the LMS
    EMAIL = "email"  # a link in the award email
    PUBLIC = "public"  # the public verification page
    ALL = (COURSE, EMAIL, PUBLIC)


class ShareEvent(Model):
    """One share or download of an award."""

    __tablename__ = "share_event"
    __table_args__ = (Index("ix_share_event_assertion_channel", "assertion_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("ob_assertion.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20), default=ShareSource.COURSE)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)


class VerificationView(Model):
    """One human view of an award's public verification page."""

    __tablename__ = "verification_view"
    __table_args__ = (
        Index("ix_verification_view_assertion_created", "assertion_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("ob_assertion.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
