"""What the tool knows of a course's gradebook: its columns, each learner's current grade,
the background jobs that keep them fresh, and the secrets that sign pushed grade events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.background import leases
from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id, utcnow
from app.models.course import Context

COLUMN_KINDS = (
    "score",
    "course_total",
    "activity_completion",
    "module_completion",
    "course_completion",
)
COMPLETION_KINDS = frozenset({"activity_completion", "module_completion", "course_completion"})


class Column(TimestampMixin, Model):
    """A gradebook column the tool can read: an AGS line item of the course, or a native
    column a gradebook connector reads (``source``: ``ags``, ``moodle``, ``canvas``).

    Criteria name columns by ``public_id``; ``lti_lineitem_id`` is the line item's URL (for a
    connector's column, its stable key in the LMS, e.g. ``moodle:gradeitem:38``). ``kind``
    says what it measures (one of `COLUMN_KINDS`): a score, the course total, or whether an
    activity, a module or the course was completed (0/100 grades, 100 = completed).
    ``active`` turns False when its source stops listing it (grades are kept).
    """

    __tablename__ = "grade_column"
    __table_args__ = (UniqueConstraint("context_id", "lti_lineitem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    context_id: Mapped[int] = mapped_column(ForeignKey("context.id", ondelete="CASCADE"))
    lti_lineitem_id: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(500), default="")
    score_maximum: Mapped[float | None] = mapped_column(Float)
    tag: Mapped[str] = mapped_column(String(255), default="")
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20), default="ags", server_default="ags")
    kind: Mapped[str] = mapped_column(String(30), default="score", server_default="score")
    # SHA-256 of the AGS results a sync last stored: the same results again are skipped.
    # Cleared whenever another source (CSV, webhook) changes a grade of the column.
    results_digest: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the bodies that carried them, and how many they were: the same bytes again
    # are not even decoded. Set and cleared with ``results_digest``.
    results_body_digest: Mapped[str | None] = mapped_column(String(64))
    results_count: Mapped[int | None] = mapped_column()

    context: Mapped[Context] = relationship()

    @property
    def is_completion(self) -> bool:
        """A 0/100 column saying whether something was completed (100 = completed)."""
        return self.kind in COMPLETION_KINDS

    @property
    def source_label(self) -> str:
        """Where the column comes from, as staff read it."""
        return str(SOURCE_LABELS.get(self.source, self.source))


# "LTI" columns are the tool's own (AGS); the others are read from the LMS's own gradebook.
SOURCE_LABELS = {
    "ags": _l("LTI (the tool's own column)"),
    "moodle": _l("Moodle gradebook"),
    "canvas": _l("Canvas gradebook"),
}


class Grade(Model):
    """A learner's current grade in one column; rewritten only when it changes."""

    __tablename__ = "grade"
    __table_args__ = (
        UniqueConstraint("column_id", "user_id"),
        Index("ix_grade_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("grade_column.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    score: Mapped[float | None] = mapped_column(Float)
    maximum: Mapped[float | None] = mapped_column(Float)
    # When the grade was given (the platform's timestamp); drives "earn by" dates.
    timestamp: Mapped[datetime | None] = mapped_column(AwareDateTime())
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class JobState:
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"  # failed, another attempt is scheduled
    DONE = "done"
    DEAD = "dead"  # gave up after the last attempt: the dead-letter list
    OPEN = (QUEUED, RUNNING, RETRYING)


class Job(leases.Attempts, Model):
    """A background job the product tracks (course sync, badge evaluation).

    huey runs it; this row is what the API (``/api/v1/jobs/{id}``), the staff page and the
    dead-letter view read, and what the sweep uses to resume a job whose worker died
    (``heartbeat_at`` older than the lease).
    """

    __tablename__ = "background_job"
    states = leases.States(
        ready=(JobState.QUEUED, JobState.RETRYING),
        claimed=JobState.RUNNING,
        waiting=JobState.RETRYING,
        dead=JobState.DEAD,
    )
    policy = leases.RetryPolicy(
        base=5,
        cap=900,
        attempts=6,
        base_setting="JOB_RETRY_BASE_SECONDS",
        cap_setting="JOB_RETRY_MAX_SECONDS",
        attempts_setting="JOB_MAX_ATTEMPTS",
    )
    __table_args__ = (Index("ix_background_job_context_kind", "context_id", "kind", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(30))
    context_id: Mapped[int | None] = mapped_column(ForeignKey("context.id", ondelete="CASCADE"))
    badge_id: Mapped[int | None] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20), default=JobState.QUEUED)
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class GradeEventSecret(TimestampMixin, Model):
    """The HMAC secret a registration's integrations sign pushed grade events with."""

    __tablename__ = "grade_event_secret"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(Text)
