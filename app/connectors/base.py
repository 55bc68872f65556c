"""The interface every gradebook connector implements, and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from lti.services import PlatformError


class ConnectorError(PlatformError):
    """A connector's read failed. The text is one sentence for staff and the admin (what is
    wrong and how to fix it), never the LMS's body; ``retryable`` says whether trying again
    later may help (a timeout) or a person must act first (a missing capability)."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=None, retry_after=retry_after)
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        return self._retryable


@dataclass(frozen=True, slots=True)
class NativeColumn:
    """A column of the LMS's own gradebook. ``key`` is stable in the LMS (it becomes the
    column's ``lti_lineitem_id``); ``score_maximum`` is None where it differs per learner.
    ``kind`` is what it measures: ``score``, ``course_total``, ``activity_completion``,
    ``module_completion`` or ``course_completion`` (completion grades are 0 or 100 of 100)."""

    key: str
    label: str
    score_maximum: float | None
    kind: str = "score"


@dataclass(frozen=True, slots=True)
class NativeGrade:
    """One learner's grade in a native column; ``user_sub`` is the learner's LTI ``sub``."""

    column_key: str
    user_sub: str
    score: float | None
    maximum: float | None
    timestamp: datetime | None


@dataclass
class GradebookRead:
    """What one read of a course's gradebook saw. ``warnings`` are sentences for the admin
    about data the LMS left out without an error (e.g. a missing ``mod/assign:view``)."""

    columns: list[NativeColumn] = field(default_factory=list)
    grades: list[NativeGrade] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class GradebookSource(Protocol):
    """A connector to one LMS's gradebook. ``read`` raises :class:`ConnectorError`."""

    kind: str

    def course_ref(self, lti_context_id: str, lms_course_id: str | None) -> str:
        """How :meth:`read` names the course: from the launch's context id, or the LMS's
        course id when a custom parameter carried it."""
        ...

    def key_of_lineitem(self, lineitem_url: str) -> str | None:
        """The native column key of one of the tool's own AGS line items, if the LMS lets
        one be told (so a column is not listed twice)."""
        ...

    def read(self, course_ref: str) -> GradebookRead:
        """Every native column of the course ``course_ref`` (the LMS's course id) and every
        learner's grade in it, all pages included."""
        ...
