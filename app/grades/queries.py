"""Read-only lookups of the grades area."""

from __future__ import annotations

from sqlalchemy import select

from app.criteria.titles import column_for_title
from app.extensions import db
from app.grades.models import Column, GradeEventSecret


def find_column(context_id: int, ref: str) -> Column | None:
    """A course column by public id, AGS line item URL or title (case and spacing aside;
    an active column first), or None. Raises :class:`~app.criteria.titles.AmbiguousTitle`
    for a title several columns share."""
    for clause in (Column.public_id == ref, Column.lti_lineitem_id == ref):
        found = db.session.scalars(
            select(Column).where(Column.context_id == context_id, clause).order_by(Column.id)
        ).first()
        if found is not None:
            return found
    columns = list(
        db.session.scalars(
            select(Column).where(Column.context_id == context_id).order_by(Column.id)
        )
    )
    for pool in ([c for c in columns if c.active], columns):
        public_id = column_for_title(ref, [(c.public_id, c.label) for c in pool])
        if public_id is not None:
            return next(c for c in pool if c.public_id == public_id)
    return None


def has_event_secret(registration_id: int) -> bool:
    """True when the registration has a grade-event secret."""
    return db.session.get(GradeEventSecret, registration_id) is not None
