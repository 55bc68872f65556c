"""Pull a course's roster (NRPS) and grades (AGS) and feed the changes to the pipeline.

LTI never pushes a grade change (DESIGN.md "The flow of data"), so this runs on launches,
periodically and on demand. All results are read (AGS has no "changed since" filter), but
only results that differ from the stored grades become events, so an unchanged course
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.awards.pipeline import PassResult, ingest
from app.extensions import db
from app.grades.models import Column
from app.grades.operations import (
    GradeEvent,
    Member,
    _float,
    parse_timestamp,
    upsert_columns,
    upsert_roster,
    user_ids_by_sub,
)
from app.models import Context, Registration
from lti.services import CourseServices


@dataclass
class SyncResult:
    """What a sync saw and did."""

    members: int = 0
    columns: int = 0
    results: int = 0
    passed: PassResult | None = None

    def as_dict(self) -> dict[str, int]:
        return {"members": self.members, "columns": self.columns, "results": self.results,
                **(self.passed.as_dict() if self.passed else {})}


def sync_course(context_id: int, *, on_chunk: Callable[[], None] | None = None) -> SyncResult:
    """Sync one course: roster, columns, then every result through the award pipeline.

    Raises ``lti.services.PlatformError`` when the platform fails (the job retries).
    """
    context = db.session.get(Context, context_id)
    if context is None:
        raise LookupError(f"no context {context_id}")
    registration = db.session.get(Registration, context.registration_id)
    services = CourseServices(context, registration)
    result = SyncResult()

    members = [Member.from_nrps(m) for m in services.members()]
    if members:
        upsert_roster(context, registration.issuer, members)
        result.members = len(members)
    columns = upsert_columns(context, services.line_items())
    db.session.commit()  # roster and columns stand on their own; grades go in chunks below
    result.columns = len(columns)

    raw: list[tuple[Column, dict]] = []
    for column in columns:
        raw.extend((column, item) for item in services.results(column.lti_lineitem_id))
    result.results = len(raw)
    ids = user_ids_by_sub(registration.issuer, (str(item["userId"]) for _c, item in raw
                                                if item.get("userId")))
    db.session.commit()
    events = [
        GradeEvent(context_id=context.id, column_id=column.id, user_id=ids[str(item["userId"])],
                   score=_float(item.get("resultScore")),
                   maximum=_float(item.get("resultMaximum")) or column.score_maximum,
                   timestamp=parse_timestamp(item.get("timestamp")), source="ags",
                   comment=item.get("comment") or None)
        for column, item in raw if item.get("userId")]
    del raw
    result.passed = ingest(events, on_chunk=on_chunk)
    return result


def active_context_ids() -> list[int]:
    """Courses worth a periodic sync: launched with an AGS endpoint."""
    return list(db.session.scalars(select(Context.id).where(
        Context.ags_endpoint.is_not(None), Context.last_launch_at.is_not(None))
        .order_by(Context.id)))
