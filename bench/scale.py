"""Scale-out of the cohort: the same course syncs run by one queue consumer, then by two.

PostgreSQL holds the state and Redis the job queue (as in production); each round requests a
sync job for fresh courses (``--courses`` of them, ``--learners`` x ``--columns`` each, a badge
on the first column that every learner has earned) and starts ``flask worker`` consumers as
separate processes (``-w 1`` each, no periodic sweep), then times until every sync job is done
and every award email it owes is sent (printed to the consumer's log, no SMTP server).
Signing worker processes are off in the consumers (``SIGNING_PROCESSES=0``) so that the
consumers are the only parallelism measured. Same-run baseline: the one-consumer round.

Run: ``.venv/bin/python bench/scale.py --database-url postgresql://… --redis-url redis://…``
(an empty PostgreSQL database and a Redis database the bench may flush).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = (sys.executable, "-m", "flask", "--app", "app")
sys.path.insert(0, str(ROOT))

from bench._machine import CpuMeter  # noqa: E402
from bench.cohort import Harness, table  # noqa: E402


def _round(harness: Harness, args: argparse.Namespace, consumers: int, label: str) -> tuple:
    from sqlalchemy import func, select

    from app.awards.models import OutboxMessage, OutboxState
    from app.extensions import db
    from app.grades import jobs
    from app.grades.models import Column, Job, JobState
    from app.openbadges.models import Assertion

    badges, contexts = [], []
    for n in range(args.courses):
        _info, context = harness.course(args.learners, args.columns, score_fraction=1.0)
        first = db.session.scalars(
            select(Column).where(Column.context_id == context.id).order_by(Column.id)
        ).first()
        badges.append(
            harness.badge(context, {"column": first.public_id, "min_percent": 35}, f"{label} {n}")
        )
        contexts.append(context.id)
    env = {
        **os.environ,
        "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1",
        "PUBLIC_BASE_URL": harness.tool_url,
        "SIGNING_PROCESSES": "0",
        "LAUNCH_SYNC_MIN_SECONDS": str(10**9),
    }
    ids = [jobs.request_job(jobs.SYNC, c, requested_by="bench").id for c in contexts]
    processes = []
    with CpuMeter((harness.process.pid,)) as cpu:
        start = time.perf_counter()
        for _ in range(consumers):
            processes.append(
                subprocess.Popen(
                    [*FLASK, "worker", "-w", "1", "--no-periodic"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        while True:
            db.session.rollback()
            done = db.session.scalar(
                select(func.count()).where(
                    Job.id.in_(ids), Job.state.in_((JobState.DONE, JobState.DEAD))
                )
            )
            # The awards' side effects (award emails) are part of the work: done when sent.
            owed = db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
            )
            if done == len(ids) and owed == 0:
                break
            time.sleep(0.1)
        wall = time.perf_counter() - start
    for process in processes:
        process.terminate()
        process.wait()
    issued = db.session.scalar(
        select(func.count())
        .select_from(Assertion)
        .where(Assertion.badge_id.in_([b.id for b in badges]))
    )
    assert issued == args.courses * args.learners, issued
    return wall, issued, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--courses", type=int, default=2)
    parser.add_argument("--learners", type=int, default=2_500)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--redis-url", required=True, help="a Redis database to use (flushed)")
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    with Harness(args.database_url, args.redis_url) as harness:
        rows = []
        for consumers in (1, 2):
            wall, issued, cpu = _round(harness, args, consumers, f"{consumers} consumers")
            rows.append((consumers, wall, issued, cpu))
        one = rows[0][2] / rows[0][1]
        print(
            table(
                f"Scale-out: {args.courses} course syncs of {args.learners:,} learners x "
                f"{args.columns} columns each, PostgreSQL + Redis queue; two consumers / one = "
                f"{rows[1][2] / rows[1][1] / one:.2f}x awards/s (goal: measurably more than 1)",
                ("consumers", "wall s", "awards", "awards/s", "tool CPU s", "platform CPU s"),
                [
                    (
                        consumers,
                        f"{wall:.2f}",
                        f"{issued:,}",
                        f"{issued / wall:,.0f}",
                        f"{cpu.tool:.2f}",
                        f"{cpu.platform:.2f}",
                    )
                    for consumers, wall, issued, cpu in rows
                ],
            )
        )


if __name__ == "__main__":
    main()
