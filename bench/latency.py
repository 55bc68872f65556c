"""Latency of a pushed grade event: ``POST /api/v1/grade-events`` (API key) to the issued,
signed assertion, over real HTTP, p50/p99 over 1,000 events (each one learner crossing the
threshold). Same-run baseline: the same requests replayed (unchanged grade: nothing issued),
i.e. the cost of HTTP, authentication and the change check alone.

Run: ``.venv/bin/python bench/latency.py [--events N] [--database-url …]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cohort import Harness, table


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()

    with Harness(args.database_url) as harness:
        import requests
        from sqlalchemy import func, select

        from app.api.auth import create_key
        from app.extensions import db
        from app.grades.models import Column
        from app.grades.sync import sync_course
        from app.models import LtiUser, Membership
        from app.openbadges.models import Assertion

        _info, context = harness.course(args.events, 1, score_fraction=0.0)
        sync_course(context.id)  # the roster; nobody has a grade yet
        column = db.session.scalars(select(Column).where(Column.context_id == context.id)).one()
        badge = harness.badge(context, {"column": column.public_id, "min_percent": 80}, "Fast")
        _key, secret = create_key(context.registration_id)
        subs = list(
            db.session.scalars(
                select(LtiUser.sub)
                .join(Membership, Membership.user_id == LtiUser.id)
                .where(Membership.context_id == context.id, Membership.is_staff.is_(False))
            )
        )
        now = datetime.now(UTC).isoformat()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {secret}"
        url = f"{harness.tool_url}/api/v1/grade-events"

        def push(sub: str) -> tuple[float, dict]:
            start = time.perf_counter()
            answer = session.post(
                url,
                json={
                    "context_id": context.public_id,
                    "column": column.public_id,
                    "user_sub": sub,
                    "score": 9.0,
                    "timestamp": now,
                },
                timeout=30,
            )
            answer.raise_for_status()
            return time.perf_counter() - start, answer.json()

        first = [push(sub) for sub in subs[: args.events]]
        replay = [push(sub) for sub in subs[: args.events]]
        assert all(r["issued"] == 1 for _t, r in first)
        assert all(r["issued"] == 0 for _t, r in replay)
        db.session.rollback()
        assert db.session.scalar(
            select(func.count()).select_from(Assertion).where(Assertion.badge_id == badge.id)
        ) == len(first)
        rows = []
        for label, runs in (
            ("event -> assertion issued", first),
            ("baseline: same event replayed", replay),
        ):
            ms = [t * 1000 for t, _r in runs]
            rows.append(
                (
                    label,
                    len(ms),
                    f"{statistics.median(ms):.1f}",
                    f"{_percentile(ms, 99):.1f}",
                    f"{max(ms):.1f}",
                )
            )
        engine = "PostgreSQL" if harness.postgres else "SQLite"
        print(
            table(
                f"Pushed grade event latency over HTTP, {engine}",
                ("what", "events", "p50 ms", "p99 ms", "max ms"),
                rows,
            )
        )


if __name__ == "__main__":
    main()
