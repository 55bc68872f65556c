"""A learner's public profile and the awards they chose to show on it."""

from __future__ import annotations

import secrets

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import TimestampMixin


def new_profile_slug() -> str:
    """128 random bits, URL-safe: the profile's address cannot be guessed."""
    return secrets.token_urlsafe(16)


class LearnerProfile(TimestampMixin, Model):
    """One learner's profile. ``slug`` is made once and kept, so turning the page off and on
    again keeps its address; ``public`` is the learner's opt-in (off until they turn it on)."""

    __tablename__ = "learner_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(32), unique=True, default=new_profile_slug)
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class ProfileBadge(Model):
    """An award the learner chose to show on their profile."""

    __tablename__ = "profile_badge"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("learner_profile.user_id", ondelete="CASCADE"), primary_key=True
    )
    assertion_id: Mapped[int] = mapped_column(
        ForeignKey("ob_assertion.id", ondelete="CASCADE"), primary_key=True
    )
