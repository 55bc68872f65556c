"""Pull a course's roster (NRPS) and grades (AGS) and feed the changes to the pipeline.

LTI never pushes a grade change (DESIGN.md "The flow of data"), so this runs on launches,
periodically and on demand. All results are read (AGS has no "changed since" filter), but
only results that differ from the stored grades are written, so an unchanged course writes
nothing; a column whose results are exactly those of the last sync (same digest) is not even
compared, and one whose answer is the same bytes as the last sync's is not even decoded.

Columns are stored one by one as they arrive, the columns the course's badges read first;
as soon as those are stored every learner is evaluated and issued what they earned, while
the other columns are still on their way. Each chunk of grades commits on its own, so a
worker killed mid-sync leaves whole chunks; since every sync evaluates every learner, the
next one awards whatever the lost evaluation would have.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.awards.pipeline import PassResult, course_badges, evaluate_course, ingest
from app.connectors.sync import read_native
from app.criteria import referenced_columns
from app.database import CHUNK, in_transaction
from app.extensions import db
from app.grades.columns import to_float, upsert_columns
from app.grades.models import Column
from app.grades.operations import GradeEvent, parse_timestamp, record_grades
from app.grades.roster import Member, upsert_roster, user_ids_by_sub
from app.models import Context, Registration
from lti.services import CourseServices, ResultPages

# Columns read at once: a platform serves several requests in parallel, but each column in
# flight holds its answer (1.5 MB of JSON for 5,000 results, parsed) and a thread's malloc
# arena: two instead of four took 15 MiB off a 5,000 x 20 sync's peak (README, bench/sync.py).
FETCH_THREADS = 2
#: Results the reading threads may hold ahead while the sync evaluates the course (about
#: 230 bytes each as kept: 23 MB at most).
READ_AHEAD_RESULTS = 100_000
GRADES_PER_COMMIT = 10 * CHUNK  # one transaction per this many results of a column
#: A result as a sync keeps it until stored: the learner's ``userId``, score, maximum (the
#: column's when the result has none), timestamp and comment. A tuple instead of the parsed
#: JSON object: about a fifth of its memory (a large course's columns wait in this form).
Result = tuple[str, float | None, float | None, datetime | None, str | None]


@dataclass
class SyncResult:
    """What a sync saw and did."""

    members: int = 0
    columns: int = 0
    results: int = 0
    passed: PassResult = field(default_factory=PassResult)

    def as_dict(self) -> dict[str, int]:
        return {
            "members": self.members,
            "columns": self.columns,
            "results": self.results,
            **self.passed.as_dict(),
        }


@dataclass(frozen=True)
class ColumnResults:
    """One column's results as read: how many the platform sent, their digest and that of
    the bodies that carried them, and the results themselves, unless they are those of the
    last sync (same digest: ``None``, nothing to store or even keep)."""

    count: int
    digest: str
    body_digest: str
    results: list[Result] | None


@dataclass(frozen=True)
class ColumnRef:
    """What a sync needs of a course column (read once, outside the grade transactions)."""

    id: int
    public_id: str
    url: str
    maximum: float | None
    digest: str | None
    body_digest: str | None
    count: int | None

    @classmethod
    def of(cls, column: Column) -> ColumnRef:
        """What a sync needs of ``column``."""
        return cls(
            column.id,
            column.public_id,
            column.lti_lineitem_id,
            column.score_maximum,
            column.results_digest,
            column.results_body_digest,
            column.results_count,
        )


def sync_course(context_id: int, *, on_chunk: Callable[[], None] | None = None) -> SyncResult:
    """Sync one course: roster, columns, then every result, evaluating every learner.

    Raises ``lti.services.PlatformError`` when the platform fails (the job retries).
    """
    context = db.session.get(Context, context_id)
    if context is None:
        raise LookupError(f"no context {context_id}")
    registration = db.session.get_one(Registration, context.registration_id)
    services = CourseServices(context, registration)
    result = SyncResult()

    members = [Member.from_nrps(m) for m in services.members()]
    line_items = services.line_items()
    issuer = registration.issuer

    def mirror() -> tuple[dict[str, int], list[ColumnRef]]:
        # Roster and columns stand on their own (committed first); grades go in chunks below.
        course = db.session.get_one(Context, context_id)
        ids = upsert_roster(course, issuer, members) if members else {}
        columns = [ColumnRef.of(c) for c in upsert_columns(course, line_items)]
        return ids, columns

    ids, columns = in_transaction(mirror)
    result.members, result.columns = len(members), len(columns)

    needed = set().union(*(referenced_columns(b.criteria) for b in course_badges(context_id)))
    columns.sort(key=lambda c: c.public_id not in needed)  # what the badges read comes first
    waiting = {c.id for c in columns if c.public_id in needed}
    evaluated = False
    ahead = ReadAhead()  # while evaluating, the reading threads read on
    for column, read in read_results(context_id, columns, ahead):
        result.results += read.count
        if read.results is not None:
            result.passed.changed += _store_column(context_id, issuer, column, read, ids)
        elif read.body_digest != column.body_digest:  # new bytes, the same results
            in_transaction(partial(_remember_digests, column, read))
        del read  # a column's results are dropped once stored
        waiting.discard(column.id)
        if on_chunk:
            # Committed before waiting for the next column: its reading thread may need to
            # write (a platform that fails paged results), and must not wait on our lock.
            in_transaction(on_chunk)
        if not waiting and not evaluated:
            with ahead:
                result.passed.add(evaluate_course(context_id, on_chunk=on_chunk))
            evaluated = True
    if not evaluated:  # no column at all
        result.passed.add(evaluate_course(context_id, on_chunk=on_chunk))
    # The LMS's own gradebook (native columns, completion) beside AGS, when connected.
    native = read_native(context_id)
    if native.events or native.columns:
        result.columns += native.columns
        result.results += len(native.events)
        result.passed.add(ingest(native.events, on_chunk=on_chunk))
    return result


def results_digest(items: list[dict[str, Any]]) -> str:
    """SHA-256 of a column's results as the platform sent them (in its order: a platform
    that reorders them costs one full comparison, never a missed change): the hash of their
    compact JSON array, written a slice at a time rather than as one string."""
    digest = hashlib.sha256(b"[")
    for start in range(0, len(items), CHUNK):
        text = json.dumps(items[start : start + CHUNK], separators=(",", ":"), default=str)
        digest.update(("," if start else "").encode() + text[1:-1].encode())
    digest.update(b"]")
    return digest.hexdigest()


def kept_results(column: ColumnRef, pages: ResultPages) -> ColumnResults:
    """What a sync keeps of a column's results until it stores them (the parsed JSON is
    dropped): nothing when the platform sent the bytes of the last sync (not even decoded)
    or results of the same digest, else one :data:`Result` per graded learner."""
    if column.count is not None and pages.digest == column.body_digest:
        return ColumnResults(column.count, column.digest or "", pages.digest, None)
    items = pages.decode()
    digest = results_digest(items)
    if digest == column.digest:
        return ColumnResults(len(items), digest, pages.digest, None)
    kept: list[Result] = [
        (
            str(item["userId"]),
            to_float(item.get("resultScore")),
            to_float(item.get("resultMaximum")) or column.maximum,
            parse_timestamp(item.get("timestamp")),
            item.get("comment") or None,
        )
        for item in items
        if item.get("userId")
    ]
    return ColumnResults(len(items), digest, pages.digest, kept)


def _store_column(
    context_id: int,
    issuer: str,
    column: ColumnRef,
    read: ColumnResults,
    ids: dict[str, int],
) -> int:
    """Store a column's changed grades, a transaction per chunk; returns how many changed."""
    results = read.results or []
    unknown = {sub for sub, *_rest in results} - ids.keys()
    if unknown:  # graded but not (or no longer) on the roster
        ids.update(in_transaction(lambda: user_ids_by_sub(issuer, unknown)))
    changed = 0
    # At least one transaction, even for an empty column: it records the digest.
    for start in range(0, max(len(results), 1), GRADES_PER_COMMIT):
        part = [
            GradeEvent(
                context_id=context_id,
                column_id=column.id,
                user_id=ids[sub],
                score=score,
                maximum=maximum,
                timestamp=timestamp,
                source="ags",
                comment=comment,
            )
            for sub, score, maximum, timestamp, comment in results[
                start : start + GRADES_PER_COMMIT
            ]
        ]
        last = start + GRADES_PER_COMMIT >= len(results)

        def store(part: list[GradeEvent] = part, last: bool = last) -> int:
            stored = len(record_grades(part))
            if last:  # with the last chunk: a crash before it leaves the digests unset
                _remember_digests(column, read)
            return stored

        changed += in_transaction(store)
    return changed


def _remember_digests(column: ColumnRef, read: ColumnResults) -> None:
    """Record what the next sync compares a column's results with (in the caller's
    transaction)."""
    db.session.execute(
        update(Column)
        .where(Column.id == column.id)
        .values(
            results_digest=read.digest,
            results_body_digest=read.body_digest,
            results_count=read.count,
        )
        .execution_options(synchronize_session=False)
    )


class ReadAhead:
    """Entered while the caller of :func:`read_results` is busy between two columns
    (evaluating the course): meanwhile the reading threads read on."""

    def __init__(self) -> None:
        self.on = False
        self.kick: Callable[[], None] | None = None  # set by read_results: start reading

    def __enter__(self) -> ReadAhead:
        self.on = True
        if self.kick is not None:
            self.kick()
        return self

    def __exit__(self, *exc: object) -> None:
        self.on = False


def read_results(
    context_id: int, columns: list[ColumnRef], ahead: ReadAhead | None = None
) -> Iterator[tuple[ColumnRef, ColumnResults]]:
    """Every result of each column, several columns at a time (the calls wait on the
    platform, not on us), yielded as each column arrives, in the order given where possible.
    Each thread has its own app context (and database session), and turns its column's
    answer into :func:`kept_results` before handing it on. A column is asked for only
    when one is handed on, so at most ``FETCH_THREADS`` columns wait in memory besides the
    one being stored (all of a large course's would, were every column asked for at once).

    While in ``ahead`` (the caller evaluates the course between two columns), the
    threads go on reading columns, holding up to :data:`READ_AHEAD_RESULTS` results: after a
    10,000-learner evaluation the other columns were read one by one, 0.2-0.4 s each, while
    the platform and the reading threads sat idle during it."""
    # The app behind the proxy (typed as Flask), for the threads' own app contexts.
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def read(column: ColumnRef) -> ColumnResults:
        with app.app_context():
            context = db.session.get_one(Context, context_id)
            registration = db.session.get_one(Registration, context.registration_id)
            return kept_results(column, CourseServices(context, registration).results(column.url))

    if len(columns) <= 1:
        for column in columns:
            yield column, read(column)
        return
    waiting = iter(columns)
    futures: dict[Future[ColumnResults], ColumnRef] = {}
    lock = threading.RLock()  # a callback may run at once, in the thread that submits
    reading = 0  # columns being read
    held = 0  # results read and not yet handed on

    def ask_next() -> bool:  # under ``lock``
        nonlocal reading
        column = next(waiting, None)
        if column is None:
            return False
        try:
            future = pool.submit(read, column)
        except RuntimeError:  # shutting down: the caller is gone
            return False
        reading += 1
        futures[future] = column
        future.add_done_callback(landed)
        return True

    def read_on() -> None:
        with lock:
            while reading < FETCH_THREADS and held < READ_AHEAD_RESULTS and ask_next():
                pass

    def landed(future: Future[ColumnResults]) -> None:
        nonlocal reading, held
        with lock:
            reading -= 1
            if future.cancelled() or future.exception() is not None:
                return
            held += len(future.result().results or ())
            if ahead is not None and ahead.on:
                read_on()

    with ThreadPoolExecutor(min(FETCH_THREADS, len(columns))) as pool:
        with lock:
            for _ in range(FETCH_THREADS):
                ask_next()
        if ahead is not None:
            ahead.kick = read_on
        while True:
            with lock:
                pending = list(futures)
            if not pending:
                return
            done, _pending = wait(pending, return_when=FIRST_COMPLETED)
            # One column per wait, the first asked of those read: a future handed on must not
            # stay referenced (by ``done``) while the next one is stored, or its results stay
            # in memory beside the columns the threads read meanwhile (one column too many,
            # whenever two reads end together).
            future = next(f for f in pending if f in done)
            del pending, done, _pending
            with lock:
                column = futures.pop(future)
                if reading < FETCH_THREADS:
                    ask_next()
            arrived = future.result()
            del future
            with lock:
                held -= len(arrived.results or ())
            yield column, arrived
            del arrived


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
    context = db.session.get_one(Context, context_id)
    services = CourseServices(context, db.session.get_one(Registration, context.registration_id))
    services.create_line_item(label, score_maximum, tag="badgebridge")
    line_items = services.line_items()
    in_transaction(lambda: upsert_columns(db.session.get_one(Context, context_id), line_items))
