"""The one tenancy filter of the course pages: a row named in a URL is found only when it
belongs to the course of the launch, so another course's row is as absent as a missing one."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import select

from app.extensions import db
from app.launch_session import current_session
from app.openbadges.models import Badge

T = TypeVar("T")


def course_row(model: type[T], public_id: str) -> T | None:
    """``model``'s row with ``public_id`` if it belongs to this launch's course: directly
    (``context_id``) or through its badge (``badge_id``); None otherwise."""
    context_id = current_session().context_id
    mapped: Any = model  # every model named here has a public_id, and a context or a badge
    query = select(model).where(mapped.public_id == public_id)
    if hasattr(model, "context_id"):
        query = query.where(mapped.context_id == context_id)
    else:
        query = query.join(Badge, Badge.id == mapped.badge_id).where(Badge.context_id == context_id)
    return db.session.scalar(query)


def course_row_or_404(model: type[T], public_id: str) -> T:
    """:func:`course_row`, or the page's 404 when the row is not this course's."""
    row = course_row(model, public_id)
    if row is None:
        abort(404)
    return row
