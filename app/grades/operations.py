"""Grades in: the one `GradeEvent` every source produces, and storing only what changed.

AGS syncs, pushed webhooks, CSV imports and manual entries all build `GradeEvent`s and hand
them to `app.awards.pipeline.ingest`, which calls :func:`record_grades` here and evaluates the
learners whose grades changed. The course's columns are mirrored by :mod:`.columns`, its
roster by :mod:`.roster`; pushed and imported grades are read by :mod:`.pushed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.database import (
    CHUNK,
    among,
    as_utc,
    planned_per_call,
    stored_form,
    table_of,
    upsert_stored,
)
from app.extensions import db
from app.grades.models import Column, Grade
from app.models.base import utcnow


@dataclass(frozen=True, slots=True)
class GradeEvent:
    """One learner's grade in one column of one course, from any source.

    ``timestamp`` is when the grade was given (the platform's time when it has one).
    """

    context_id: int
    column_id: int
    user_id: int
    score: float | None
    maximum: float | None
    timestamp: datetime | None
    source: str
    comment: str | None = None


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` allowed) as an aware datetime, or None."""
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def _same(grade: tuple[Any, ...], event: GradeEvent) -> bool:
    score, maximum, timestamp, comment = grade
    return (
        score == event.score
        and maximum == event.maximum
        and timestamp == as_utc(event.timestamp)
        and (comment or None) == event.comment
    )


def _stale(grade: tuple[Any, ...], event: GradeEvent) -> bool:
    # An event older than what we hold (a replayed or out-of-order webhook) never rolls back.
    stored = grade[2]
    return stored is not None and event.timestamp is not None and as_utc(event.timestamp) < stored


_GRADE_COLUMNS = (
    "column_id",
    "user_id",
    "score",
    "maximum",
    "timestamp",
    "comment",
    "source",
    "updated_at",
)


def record_grades(events: Sequence[GradeEvent]) -> list[GradeEvent]:
    """Store the events that change a grade; return them (unchanged ones write nothing).

    Within one call the newest event per (column, learner) wins. Does not commit.
    """
    latest: dict[tuple[int, int], GradeEvent] = {}
    for event in events:
        key = (event.column_id, event.user_id)
        held = latest.get(key)
        if held is None or not (
            held.timestamp and event.timestamp and as_utc(event.timestamp) < as_utc(held.timestamp)
        ):
            latest[key] = event
    keys = sorted(latest)  # a fixed order: concurrent writers lock rows alike (no deadlock)
    current: dict[tuple[int, int], tuple[Any, ...]] = {}
    grades = table_of(Grade)
    users = sorted({user for _column, user in keys})
    columns = sorted({column for column, _user in keys})
    for start in range(0, len(users), CHUNK):
        # By learner (indexed) and column, not by (column, learner) pairs: SQLite scans the
        # whole table for a row-value IN list.
        # Core columns: plain rows, none of the ORM's per-row loading.
        rows = planned_per_call(
            select(
                grades.c.column_id,
                grades.c.user_id,
                grades.c.score,
                grades.c.maximum,
                grades.c.timestamp,
                grades.c.comment,
            ).where(
                among(grades.c.user_id, users[start : start + CHUNK]),
                among(grades.c.column_id, columns),
            )
        )
        for row in rows:
            current[(row[0], row[1])] = tuple(row[2:])
    changed = []
    for key in keys:
        event = latest[key]
        stored = current.get(key)
        if stored is None:
            if event.score is None:
                continue  # "not graded yet" for a grade we never had: nothing to record
        elif _same(stored, event) or _stale(stored, event):
            continue
        changed.append(event)
    now = utcnow()
    # A grade from elsewhere (CSV, webhook) in a column makes its AGS results worth
    # comparing again at the next sync.
    touched = sorted({e.column_id for e in changed if e.source != "ags"})
    if touched:
        db.session.execute(
            update(Column)
            .where(Column.id.in_(touched), Column.results_digest.is_not(None))
            .values(results_digest=None, results_body_digest=None)
            .execution_options(synchronize_session=False)
        )
    # Each distinct timestamp converted to the driver's form once (``now`` once for all).
    to_driver = stored_form(grades.c.timestamp)
    stored_now = to_driver(now)
    moments: dict[datetime | None, Any] = {}
    values: list[tuple[Any, ...]] = []
    for e in changed:
        moment = moments.get(e.timestamp)
        if moment is None and e.timestamp is not None:
            moment = moments[e.timestamp] = to_driver(e.timestamp)
        values.append(
            (e.column_id, e.user_id, e.score, e.maximum, moment, e.comment, e.source, stored_now)
        )
    upsert_stored(
        grades,
        _GRADE_COLUMNS,
        values,
        keys=("column_id", "user_id"),
        update_columns=_GRADE_COLUMNS[2:],
    )
    return changed
