"""Pull a course's roster (NRPS) and grades (AGS) and feed the changes to the pipeline.

LTI never pushes a grade change (DESIGN.md "The flow of data"), so this runs on launches,
periodically and on demand. All results are read (AGS has no "changed since" filter), but
only results that differ from the stored grades become events, so an unchanged course
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.awards.pipeline import PassResult, ingest
from app.connectors.sync import read_native
from app.database import in_transaction
from app.extensions import db
from app.grades.operations import (
    GradeEvent,
    Member,
    parse_timestamp,
    to_float,
    upsert_columns,
    upsert_roster,
    user_ids_by_sub,
)
from app.models import Context, Registration
from lti.services import CourseServices

FETCH_THREADS = 4  # columns read at once (a platform serves several requests in parallel)


@dataclass
class SyncResult:
    """What a sync saw and did."""

    members: int = 0
    columns: int = 0
    results: int = 0
    passed: PassResult | None = None

    def as_dict(self) -> dict[str, int]:
        return {
            "members": self.members,
            "columns": self.columns,
            "results": self.results,
            **(self.passed.as_dict() if self.passed else {}),
        }


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
    line_items = services.line_items()
    issuer = registration.issuer

    def mirror() -> list[tuple[int, str, float | None]]:
        # Roster and columns stand on their own (committed first); grades go in chunks below.
        course = db.session.get(Context, context_id)
        if members:
            upsert_roster(course, issuer, members)
        return [
            (c.id, c.lti_lineitem_id, c.score_maximum) for c in upsert_columns(course, line_items)
        ]

    columns = in_transaction(mirror)
    result.members, result.columns = len(members), len(columns)

    raw: list[tuple[int, float | None, dict]] = []
    for (column_id, _url, maximum), items in zip(
        columns, read_results(context_id, [url for _c, url, _m in columns]), strict=True
    ):
        raw.extend((column_id, maximum, item) for item in items)
    result.results = len(raw)
    subs = {str(item["userId"]) for _c, _m, item in raw if item.get("userId")}
    ids = in_transaction(lambda: user_ids_by_sub(issuer, subs))
    events = [
        GradeEvent(
            context_id=context_id,
            column_id=column_id,
            user_id=ids[str(item["userId"])],
            score=to_float(item.get("resultScore")),
            maximum=to_float(item.get("resultMaximum")) or maximum,
            timestamp=parse_timestamp(item.get("timestamp")),
            source="ags",
            comment=item.get("comment") or None,
        )
        for column_id, maximum, item in raw
        if item.get("userId")
    ]
    del raw
    result.passed = ingest(events, on_chunk=on_chunk, recheck=context_id)
    # The LMS's own gradebook (native columns, completion) beside AGS, when connected.
    native = read_native(context_id)
    if native.events or native.columns:
        result.columns += native.columns
        result.results += len(native.events)
        result.passed.add(ingest(native.events, on_chunk=on_chunk))
    return result


def read_results(context_id: int, urls: list[str]) -> list[list[dict[str, Any]]]:
    """Every result of each line item, several columns at a time: the calls wait on the
    platform, not on us. Each thread has its own app context (and database session)."""
    app = current_app._get_current_object()

    def read(url: str) -> list[dict[str, Any]]:
        with app.app_context():
            context = db.session.get(Context, context_id)
            registration = db.session.get(Registration, context.registration_id)
            return CourseServices(context, registration).results(url)

    if len(urls) <= 1:
        return [read(url) for url in urls]
    with ThreadPoolExecutor(min(FETCH_THREADS, len(urls))) as pool:
        return list(pool.map(read, urls))


def active_context_ids() -> list[int]:
    """Courses worth a periodic sync: launched with an AGS endpoint."""
    return list(
        db.session.scalars(
            select(Context.id)
            .where(Context.ags_endpoint.is_not(None), Context.last_launch_at.is_not(None))
            .order_by(Context.id)
        )
    )


def create_column(context_id: int, label: str, score_maximum: float) -> None:
    """Create a graded column in the LMS gradebook (AGS line item) and mirror it."""
    context = db.session.get(Context, context_id)
    services = CourseServices(context, db.session.get(Registration, context.registration_id))
    services.create_line_item(label, score_maximum, tag="badgebridge")
    line_items = services.line_items()
    in_transaction(lambda: upsert_columns(db.session.get(Context, context_id), line_items))
