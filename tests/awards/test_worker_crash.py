"""A real worker (``flask worker``, huey on SQLite or Redis) killed with SIGKILL in the middle
of a 2,000-learner cohort, then restarted: every eligible learner ends with exactly one
assertion and exactly one notification, all sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.awards.models import OutboxMessage, OutboxState
from app.extensions import db
from app.grades.columns import upsert_columns
from app.grades.models import Job, JobState
from app.models import Registration
from app.openbadges.models import Assertion
from lti.services import CourseServices
from tests.grades.support import new_badge, new_course, sandbox_scores

ROOT = Path(__file__).resolve().parents[2]


def _env(queue: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HUEY_SQLITE_PATH": str(queue),
        "JOB_LEASE_SECONDS": "3",
        "OUTBOX_LEASE_SECONDS": "3",
        "OUTBOX_GRACE_SECONDS": "3",
        "FLASK_APP": "app",
    }
    env.pop("HUEY_IMMEDIATE", None)
    return env


def _flask(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, start_new_session=True, **kwargs
    )


def _count(*where) -> int:
    db.session.rollback()  # a fresh snapshot: the worker commits meanwhile
    return db.session.scalar(select(func.count()).select_from(Assertion).where(*where))


def _wait(predicate, timeout: float, what: str) -> None:
    # Generous limits: a shared, loaded machine sends 2,000 notifications slowly, and slowness
    # is not what this test is about (exactly once is).
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(1800)  # its own waits add up to 27 minutes (see _wait's callers)
def test_worker_killed_mid_cohort_converges_exactly_once(app, registered, browser):
    course = new_course(registered, browser, learners=2000)
    services = CourseServices(
        course.context, db.session.get(Registration, course.context.registration_id)
    )
    upsert_columns(course.context, services.line_items())
    db.session.commit()
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 50}
    )
    scores = sandbox_scores(registered, course.info.line_item_ids[0])
    eligible = sum(score >= 50 for score in scores.values())
    assert eligible > 1000

    env = _env(Path(tempfile.mkdtemp(prefix="queue-")) / "jobs.db")
    if env.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    queued = subprocess.run(
        [sys.executable, "-m", "flask", "grades", "sync", course.context.public_id],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,  # it only records a job and enqueues it
    )
    assert "job_id" in queued.stdout
    worker = _flask(env, "worker", "-w", "2", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _count(Assertion.badge_id == badge.id) > 0, 300, "the first awards")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    at_kill = _count(Assertion.badge_id == badge.id)
    assert 0 < at_kill < eligible, "the worker was meant to die mid-cohort"
    # What the dead worker left behind: a running job (the launch's sync, which the startup
    # sweep found without a queue message, or the one queued above; the other waits).
    states = db.session.scalars(select(Job.state).where(Job.context_id == course.context.id))
    assert JobState.RUNNING in set(states)

    time.sleep(3.5)  # its heartbeat and its outbox leases go stale
    worker = _flask(env, "worker", "-w", "2", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _count(Assertion.badge_id == badge.id) == eligible, 600, "every award")

        def all_sent() -> bool:
            db.session.rollback()
            return (
                db.session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.state == OutboxState.SENT)
                )
                == eligible
            )

        try:
            _wait(all_sent, 600, "every notification")
        except AssertionError:
            states = db.session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
            raise AssertionError(f"outbox by state: {states}") from None

        def jobs_done() -> bool:
            # The last notification can be sent while its job is still recording its end.
            db.session.rollback()
            return set(
                db.session.scalars(select(Job.state).where(Job.context_id == course.context.id))
            ) == {JobState.DONE}

        _wait(jobs_done, 120, "every job to finish")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    per_learner = db.session.execute(
        select(Assertion.lti_user_id, func.count())
        .where(Assertion.badge_id == badge.id)
        .group_by(Assertion.lti_user_id)
    ).all()
    assert len(per_learner) == eligible and {n for _u, n in per_learner} == {1}
    per_assertion = db.session.execute(
        select(OutboxMessage.assertion_id, func.count()).group_by(OutboxMessage.assertion_id)
    ).all()
    assert len(per_assertion) == eligible and {n for _a, n in per_assertion} == {1}
    db.session.rollback()
    assert set(
        db.session.scalars(select(Job.state).where(Job.context_id == course.context.id))
    ) == {JobState.DONE}
