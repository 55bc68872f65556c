"""The one tenancy filter of the course pages: a row named in a URL is found only when it
belongs to the course of the launch, so another course's row is as absent as a missing one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.launch_session import current_session
from app.openbadges.models import Badge


def course_row(model: Any, public_id: str) -> Any | None:
    """``model``'s row with ``public_id`` if it belongs to this launch's course: directly
    (``context_id``) or through its badge (``badge_id``); None otherwise."""
    context_id = current_session().context_id
    query = select(model).where(model.public_id == public_id)
    if hasattr(model, "context_id"):
        query = query.where(model.context_id == context_id)
    else:
        query = query.join(Badge, Badge.id == model.badge_id).where(Badge.context_id == context_id)
    return db.session.scalar(query)
