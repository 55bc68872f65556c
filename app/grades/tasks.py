"""huey tasks of the grade pipeline: run tracked jobs, and the periodic sweep."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from flask import current_app
from huey import crontab
from sqlalchemy import select

from app.awards import outbox
from app.awards.pipeline import evaluate_course
from app.background import queue
from app.background.handlers import handler
from app.extensions import db
from app.grades import jobs
from app.grades.models import Job, JobState
from app.grades.sync import active_context_ids, sync_course
from app.models.base import utcnow

log = logging.getLogger(__name__)


def _course(job: Job) -> int:
    # Syncs and evaluations are always requested for a course.
    if job.context_id is None:
        raise LookupError(f"{job.kind} job {job.public_id} names no course")
    return job.context_id


@handler(jobs.SYNC)
def _sync(job: Job, heartbeat: Any) -> dict[str, Any]:
    return sync_course(_course(job), on_chunk=heartbeat).as_dict()


@handler(jobs.EVALUATE)
def _evaluate(job: Job, heartbeat: Any) -> dict[str, Any]:
    return evaluate_course(
        _course(job), on_chunk=heartbeat, on_progress=partial(jobs.report_progress, job.id)
    ).as_dict()


@queue.task()
def run_job_task(job_id: int) -> None:
    """Run a tracked job (retries come back here through huey's schedule)."""
    jobs.run(job_id)


def sweep() -> dict[str, int]:
    """Periodic upkeep: sync courses not synced for ``SYNC_INTERVAL_SECONDS``, resume jobs
    whose worker died, dispatch outbox rows that lost their job."""
    interval = timedelta(seconds=current_app.config.get("SYNC_INTERVAL_SECONDS") or 300)
    since = utcnow() - interval
    requested = 0
    for context_id in active_context_ids():
        recent = db.session.scalar(
            select(Job.id)
            .where(
                Job.context_id == context_id,
                Job.kind == jobs.SYNC,
                Job.state.in_((*JobState.OPEN, JobState.DONE)),
                Job.created_at >= since,
            )
            .limit(1)
        )
        if recent is None:
            jobs.request_job(jobs.SYNC, context_id, requested_by="sweep")
            requested += 1
    resumed = jobs.resume_stale()
    due = outbox.due()
    outbox.enqueue(due)
    return {"syncs": requested, "resumed": len(resumed), "outbox": len(due)}


@queue.periodic(crontab(minute="*"))
def sweep_task() -> None:
    """Every minute: see :func:`sweep` (the interval itself is a setting)."""
    found = sweep()
    if any(found.values()):  # an idle minute says nothing
        log.info("sweep: %s", found)
