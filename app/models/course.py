"""LMS courses (contexts), the people in them and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id
from app.models.lti import Deployment, Registration


class Context(TimestampMixin, Model):
    """An LMS course (LTI context) inside one deployment."""

    __tablename__ = "context"
    __table_args__ = (UniqueConstraint("deployment_id", "lti_context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    lti_context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # Service endpoints as the last launch announced them (AGS / NRPS claims).
    ags_endpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    nrps_endpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_launch_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The LMS's own course id from the launch's custom parameters (Canvas
    # ``canvas_course_id=$Canvas.course.id``, Moodle ``course_id=$Context.id``): what the
    # gradebook connectors address; None until a launch carried it.
    lms_course_id: Mapped[str | None] = mapped_column(String(64))

    registration: Mapped[Registration] = relationship()
    deployment: Mapped[Deployment] = relationship()


class LtiUser(TimestampMixin, Model):
    """A person as a platform knows them: (issuer, sub)."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    # The language of their last launch (a supported locale, e.g. "pt_BR"); "" = default.
    # Their emails are written in it.
    locale: Mapped[str] = mapped_column(String(20), default="", server_default="")
    last_launch_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class Membership(TimestampMixin, Model):
    """A person's roles in one course, from launches and NRPS."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("context_id", "user_id"),
        Index("ix_membership_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("context.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the person's last launch in this course said (None: never launched here). A roster
    # sync never demotes launch staff: Moodle's NRPS calls a non-editing teacher a Learner
    # while its launch calls them an Instructor.
    launch_staff: Mapped[bool | None] = mapped_column(Boolean)
    # False once NRPS stops listing the person; earned badges stay (revocation is explicit).
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    context: Mapped[Context] = relationship()
    user: Mapped[LtiUser] = relationship()
