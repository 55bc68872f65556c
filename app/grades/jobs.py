"""Tracked background jobs (course sync, badge evaluation): requests, runs, retries.

A `Job` row is created when a job is requested and enqueued on huey after the commit. Running
it claims the row (one runner at a time), beats a heartbeat after every chunk, and ends
``done``; platform failures (5xx, timeouts, 429) are retried with exponential back-off (a
429's ``Retry-After`` wins) until ``JOB_MAX_ATTEMPTS``, then the row is ``dead`` (the
dead-letter list). A worker killed mid-job leaves a ``running`` row whose heartbeat goes
stale; the sweep hands it to another worker, and since every chunk commits atomically the
rerun finishes the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from huey.exceptions import RetryTask
from sqlalchemy import func, select, update

from app.background import dead, leases
from app.background.handlers import handler_for
from app.database import in_transaction
from app.extensions import cache, db
from app.grades.models import Job, JobState
from app.i18n import shown, stored, translatable
from app.models.base import utcnow
from app.settings import number
from lti.services import PlatformError

log = logging.getLogger(__name__)

SYNC = "sync"
EVALUATE = "evaluate"


def request_job(
    kind: str,
    context_id: int,
    *,
    requested_by: str = "",
    badge_id: int | None = None,
    delay: float = 0,
) -> Job:
    """Record a job and enqueue it (after the commit). ``delay`` postpones the first run."""

    def add() -> Job:
        job = Job(
            kind=kind,
            context_id=context_id,
            badge_id=badge_id,
            requested_by=requested_by,
            state=JobState.QUEUED,
            attempts=0,
        )
        db.session.add(job)
        return job

    job = in_transaction(add)
    _enqueue(job.id, delay)
    return job


def _enqueue(job_id: int, delay: float) -> None:
    from app.grades.tasks import run_job_task

    if delay > 0:
        run_job_task.schedule(args=(job_id,), delay=delay)
    else:
        run_job_task(job_id)


def last_synced(context_id: int) -> Any:
    """When the course's last successful sync finished (None: never)."""
    return db.session.scalar(
        select(func.max(Job.finished_at)).where(
            Job.context_id == context_id, Job.kind == SYNC, Job.state == JobState.DONE
        )
    )


@dataclass(frozen=True)
class SyncOutcome:
    """The course's latest sync as staff see it: when, how it went, and a sentence."""

    when: datetime
    state: str  # running | retrying | succeeded | failed
    message: str


def last_sync_outcome(context_id: int) -> SyncOutcome | None:
    """How the course's latest sync went (None: no sync yet). A failure says what happened
    and what comes next (an automatic retry, or Check now)."""
    job = db.session.scalars(
        select(Job).where(Job.context_id == context_id, Job.kind == SYNC).order_by(Job.id.desc())
    ).first()
    if job is None:
        return None
    if job.state == JobState.DONE:
        # A finished job always has its finish time; created_at only satisfies the type.
        return SyncOutcome(
            job.finished_at or job.created_at, "succeeded", _summary(job.result or {})
        )
    if job.state == JobState.DEAD:
        return SyncOutcome(
            job.finished_at or job.created_at,
            "failed",
            (shown(job.last_error) or _("The check failed."))
            + " "
            + ngettext(
                "Gave up after %(num)s attempt; press Check now to try again.",
                "Gave up after %(num)s attempts; press Check now to try again.",
                job.attempts,
            ),
        )
    if job.state == JobState.RETRYING:
        retry = job.next_attempt_at
        again = (
            _("Trying again automatically at %(time)s UTC.", time=format_time(retry, "short"))
            if retry
            else _("Trying again automatically.")
        )
        return SyncOutcome(
            job.started_at or job.created_at,
            "retrying",
            f"{shown(job.last_error) or _('The check failed.')} {again}",
        )
    return SyncOutcome(
        job.started_at or job.created_at, "running", _("Checking the gradebook now.")
    )


def _summary(result: dict[str, Any]) -> str:
    if result.get("skipped"):
        return _("Nothing new: a later check had already read the gradebook.")
    columns, grades = result.get("columns", 0), result.get("results", 0)
    changed, issued = result.get("changed", 0), result.get("issued", 0)
    return " ".join(
        (
            ngettext("Read %(num)s column", "Read %(num)s columns", columns),
            ngettext("and %(num)s grade;", "and %(num)s grades;", grades),
            ngettext("%(num)s grade changed,", "%(num)s grades changed,", changed),
            ngettext("%(num)s badge awarded.", "%(num)s badges awarded.", issued),
        )
    )


def sync_on_launch(context_id: int) -> Job | None:
    """The launch hook: sync the course in the background unless a sync is on its way or
    ran moments ago (a class opening the tool together asks once).

    Once a launch has found or asked for a sync, the shared cache remembers it for the same
    few seconds, so the launches that follow skip the database (a repeat launch's budget)."""
    min_seconds = number("LAUNCH_SYNC_MIN_SECONDS", 60)
    marker = f"sync-asked:{context_id}"
    if min_seconds >= 1 and cache.get(marker):
        return None
    since = utcnow() - timedelta(seconds=min_seconds)
    recent = db.session.scalar(
        select(Job.id)
        .where(
            Job.context_id == context_id,
            Job.kind == SYNC,
            Job.created_at >= since,
            Job.state.in_((*JobState.OPEN, JobState.DONE)),
        )
        .limit(1)
    )
    job = None
    if recent is None:
        # A short delay lets the launch's own writes settle and gathers a burst of launches.
        job = request_job(
            SYNC, context_id, requested_by="launch", delay=number("LAUNCH_SYNC_DELAY_SECONDS", 2)
        )
    if min_seconds >= 1:
        cache.set(marker, 1, timeout=int(min_seconds))
    return job


def _claim(job_id: int) -> Job | None:
    def claim() -> bool:
        now = utcnow()
        # No lease column: a running job's lease is its heartbeat (see resume_stale).
        return leases.claim(
            Job, job_id, now=now, started_at=now, heartbeat_at=now, next_attempt_at=None
        )

    return db.session.get(Job, job_id) if in_transaction(claim) else None


def _another_running(job: Job) -> bool:
    fresh = utcnow() - timedelta(seconds=number("JOB_LEASE_SECONDS", 300))
    return (
        db.session.scalar(
            select(Job.id)
            .where(
                Job.context_id == job.context_id,
                Job.kind == job.kind,
                Job.id != job.id,
                Job.state == JobState.RUNNING,
                Job.heartbeat_at >= fresh,
            )
            .limit(1)
        )
        is not None
    )


def _already_done(job: Job) -> bool:
    # A sync that started after this one was requested has already seen what it would see.
    return (
        db.session.scalar(
            select(Job.id)
            .where(
                Job.context_id == job.context_id,
                Job.kind == job.kind,
                Job.id != job.id,
                Job.state == JobState.DONE,
                Job.started_at >= job.created_at,
            )
            .limit(1)
        )
        is not None
    )


def run(job_id: int) -> Job | None:
    """Run a job once. Raises huey's ``RetryTask`` (with the back-off delay) when it should
    be tried again; returns the finished row otherwise (None when it was not ours to run)."""
    job = _claim(job_id)
    if job is None:
        return None
    if job.kind == SYNC and _another_running(job):
        # One sync per course at a time: come back when the running one is done.
        def release() -> None:
            row = db.session.get_one(Job, job_id)
            row.state, row.attempts = JobState.QUEUED, row.attempts - 1

        in_transaction(release)
        raise RetryTask(delay=number("JOB_RETRY_BASE_SECONDS", 5))
    if job.kind == SYNC and _already_done(job):
        return _finish(job, {"skipped": "a later sync already ran"})

    def heartbeat() -> None:
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    try:
        result = handler_for(job.kind)(job, heartbeat)
    except Exception as exc:  # every failure is recorded; platform failures are retried
        db.session.rollback()
        if not isinstance(exc, PlatformError):
            log.exception("job %s failed", job_id)
        retryable = not isinstance(exc, PlatformError) or exc.retryable
        job, delay = in_transaction(partial(_failed, job_id, exc, retryable))
        if delay is not None:
            log.warning(
                "job %s (%s) attempt %s failed, retry at %s: %s",
                job.public_id,
                job.kind,
                job.attempts,
                job.next_attempt_at,
                exc,
            )
            raise RetryTask(delay=max(delay, 0.1)) from exc
        log.error(
            "job %s (%s) is dead after %s attempts: %s", job.public_id, job.kind, job.attempts, exc
        )
        return job
    return _finish(db.session.get_one(Job, job_id), result)


def failure_text(exc: Exception) -> str:
    """What staff read about a failed job, in English with its template (a Message, for
    :func:`app.i18n.stored`): a platform failure's own sentence (platform, status, next
    step); for anything else a plain one, the details go to the log."""
    if isinstance(exc, PlatformError):
        return exc.message
    return translatable(
        "Badgebridge failed while doing this (an internal error, logged as %(kind)s). If it "
        "keeps failing, tell your Badgebridge administrator.",
        kind=type(exc).__name__,
    )


MAX_ERROR = 4000


def _failed(job_id: int, exc: Exception, retryable: bool) -> tuple[Job, float | None]:
    # The row and the seconds until its retry (None: it went to the dead list).
    job = db.session.get_one(Job, job_id)
    text = failure_text(exc)
    error = stored(text)
    if len(error) > MAX_ERROR:  # cut JSON would show as itself: the English, cut, instead
        error = str(text)[:MAX_ERROR]
    delay = leases.fail(
        job,
        error,
        retryable=retryable,
        retry_after=getattr(exc, "retry_after", None),
    )
    if delay is None:
        job.finished_at = utcnow()
    return job, delay


def _finish(job: Job, result: dict[str, Any]) -> Job:
    def done() -> Job:
        row = db.session.get_one(Job, job.id)
        row.state, row.result, row.finished_at = JobState.DONE, result, utcnow()
        row.last_error = None
        return row

    return in_transaction(done)


def report_progress(job_id: int, progress: dict[str, Any]) -> None:
    """Keep a running job's progress in its ``result`` (the staff page polls it); the final
    result replaces it when the job ends."""

    def write() -> None:
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING)
            .values(result=progress, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    in_transaction(write)


def resume_stale() -> list[int]:
    """Re-enqueue jobs whose worker died (stale heartbeat) or whose retry is overdue."""
    now = utcnow()
    stale = now - timedelta(seconds=number("JOB_LEASE_SECONDS", 300))

    def collect() -> list[int]:
        ids = list(
            db.session.scalars(
                select(Job.id).where(Job.state == JobState.RUNNING, Job.heartbeat_at < stale)
            )
        )
        if ids:
            db.session.execute(
                update(Job)
                .where(Job.id.in_(ids), Job.state == JobState.RUNNING)
                .values(state=JobState.RETRYING)
                .execution_options(synchronize_session=False)
            )
        # Retries or first runs whose huey message was lost with its worker (due long ago).
        return ids + list(
            db.session.scalars(
                select(Job.id).where(
                    Job.state.in_((JobState.QUEUED, JobState.RETRYING)),
                    func.coalesce(Job.next_attempt_at, Job.created_at) < stale,
                )
            )
        )

    ids = in_transaction(collect)
    for job_id in sorted(set(ids)):
        log.warning("resuming job %s", job_id)
        _enqueue(job_id, 0)
    return ids


def _describe(job: Job) -> str:
    return f"{job.kind} job {job.public_id} (course {job.context_id})"


def _enqueue_now(job_ids: list[int]) -> None:
    for job_id in job_ids:
        _enqueue(job_id, 0)


dead.register(
    dead.DeadKind("job", _l("Tracked jobs (syncs, evaluations)"), Job, _describe, _enqueue_now)
)
