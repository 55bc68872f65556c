"""A whole cohort crossing a badge threshold: 10,000 learners x 10 columns in the sandbox.

Measures the wall time from the start of the course sync (NRPS roster, AGS line items and
all 100,000 results over real HTTP, then evaluation and issuing in chunks) to the last
assertion stored and signed, and awards/s. Same-run baseline: ``issue_many`` alone issuing
as many awards on the same database (the Open Badges core without the pipeline).

Run: ``.venv/bin/python bench/cohort.py [--learners N] [--database-url postgresql://…]``
(an empty PostgreSQL database; SQLite in a temp dir by default). The sandbox LMS runs in a
subprocess, the tool's HTTP server in a thread (the platform fetches the tool's keys).

``Harness`` here is shared with bench/sync.py and bench/latency.py.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Harness:
    """The tool (migrated database, HTTP server in a thread) and a sandbox Moodle (its own
    process) with the tool registered, ready for courses."""

    def __init__(self, database_url: str | None = None, redis_url: str | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
        os.environ.setdefault("SECRET_KEY", "bench-secret")
        os.environ["DATABASE_URL"] = database_url or f"sqlite:///{self.tmp / 'tool.db'}"
        os.environ["HUEY_SQLITE_PATH"] = str(self.tmp / "jobs.db")  # queued, no consumer
        os.environ.pop("HUEY_IMMEDIATE", None)
        os.environ.pop("REDIS_URL", None)
        if redis_url:  # the job queue and caches in Redis (bench/scale.py)
            os.environ["REDIS_URL"] = redis_url
        self.postgres = bool(database_url)

    def __enter__(self) -> Harness:
        import logging

        from flask_migrate import downgrade, upgrade
        from werkzeug.serving import make_server

        from app import create_app
        from lti.sandbox import create_app as create_sandbox
        from lti.sandbox.seed import MOODLE_CLIENT_ID, platform_info, register_tool

        # The sandbox LMS listens on loopback: let the tool's outbound client call it there.
        self.app = create_app(
            {
                "CACHE_DIR": str(self.tmp / "cache"),
                "LAUNCH_SYNC_MIN_SECONDS": 10**9,
                "OUTBOUND_ALLOW_PRIVATE_NETWORKS": True,
            }
        )
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.context = self.app.app_context()
        self.context.push()
        if self.postgres:
            downgrade(revision="base")
        upgrade()
        self.server = make_server("localhost", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.tool_url = f"http://localhost:{self.server.server_port}"
        self.app.config["PUBLIC_BASE_URL"] = self.tool_url
        port = _free_port()
        self.sandbox_url = f"http://127.0.0.1:{port}"
        sandbox_db = f"sqlite:///{self.tmp / 'sandbox.db'}"
        self.sandbox = create_sandbox(
            {
                "SANDBOX_DATABASE_URL": sandbox_db,
                "SANDBOX_BASE_URL": self.sandbox_url,
                "SECRET_KEY": "bench-sandbox-secret",
            }
        )
        register_tool(
            self.sandbox,
            "moodle",
            self.tool_url,
            client_id=MOODLE_CLIENT_ID,
            deployment_id="1",
            flavour="moodle",
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lti.sandbox",
                "--port",
                str(port),
                "--tool-url",
                self.tool_url,
                "--database-url",
                sandbox_db,
            ],
            cwd=ROOT,
            env={**os.environ, "SANDBOX_SECRET_KEY": "bench-sandbox-secret"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_for_sandbox()
        from app.audit import SYSTEM
        from app.registrations.operations import PlatformSpec, save_platform

        info = platform_info(self.sandbox, "moodle", MOODLE_CLIENT_ID)
        save_platform(
            PlatformSpec(
                issuer=info.issuer,
                client_id=info.client_id,
                auth_login_url=info.auth_login_url,
                auth_token_url=info.auth_token_url,
                auth_audience=info.auth_audience,
                key_set_url=info.key_set_url,
                deployment_ids=(info.deployment_id,),
                name="moodle",
                product_family="moodle",
            ),
            actor=SYSTEM,
        )
        return self

    def _wait_for_sandbox(self) -> None:
        import requests

        for _ in range(200):
            try:
                requests.get(self.sandbox_url, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("the sandbox did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait()
        self.server.shutdown()
        self.context.pop()

    def course(self, learners: int, columns: int, score_fraction: float) -> Any:
        """A course with ``columns`` 10-point columns, launched once by its teacher; returns
        (CourseInfo, Context) with the columns mirrored (not timed)."""
        from sqlalchemy import select

        from app.extensions import db
        from app.grades.columns import upsert_columns
        from app.models import Context, Registration
        from lti.sandbox.seed import create_course, launch_url
        from lti.services import CourseServices
        from tests.support.browser import Browser

        info = create_course(
            self.sandbox,
            "moodle",
            f"Bench {learners}x{columns}",
            learners=learners,
            score_fraction=score_fraction,
            columns=[(f"Quiz {i + 1}", 10.0) for i in range(columns)],
        )
        browser = Browser()
        browser.walk(
            browser.get(launch_url(self.sandbox, "moodle", info.course_id, info.teacher_login))
        )
        context = db.session.scalars(
            select(Context).where(Context.lti_context_id == info.context_id)
        ).one()
        services = CourseServices(context, db.session.get(Registration, context.registration_id))
        upsert_columns(context, services.line_items())
        db.session.commit()
        # Seeding ran the sandbox's ORM in this process: hand that memory back, so the peak
        # resident memory measured next is the tool's.
        gc.collect()
        ctypes.CDLL(None).malloc_trim(0)
        return info, context

    def badge(self, context: Any, criteria: dict[str, Any] | None, name: str) -> Any:
        from app.artwork import badge_artwork
        from app.openbadges import badges, issuers

        issuer = issuers.create_issuer(
            "Bench University",
            "https://bench.example",
            "badges@bench.example",
            registration_id=context.registration_id,
        )
        return badges.create_badge(
            issuer,
            name,
            f"{name} (bench)",
            "Meet the criteria",
            context_id=context.id,
            criteria=criteria,
            enabled=True,
            artwork=badge_artwork(name),
        )


def table(title: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """A plain-text table with the machine facts under it."""
    from bench._machine import machine_facts

    cells = [header, *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        title,
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    return "\n".join([*lines, machine_facts()])


def _page_size() -> int:
    import lti.services

    return lti.services.PAGE_SIZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument(
        "--page-size",
        type=int,
        default=0,
        help="AGS/NRPS page size to ask for (default: lti.services.PAGE_SIZE)",
    )
    args = parser.parse_args()
    if args.page_size:
        import lti.services

        lti.services.PAGE_SIZE = args.page_size  # a what-if: fewer, larger pages

    with Harness(args.database_url) as harness:
        from sqlalchemy import func, select

        from app.extensions import db
        from app.grades.models import Column
        from app.grades.sync import sync_course
        from app.openbadges import operations as ob
        from app.openbadges.models import Assertion

        _info, context = harness.course(args.learners, args.columns, score_fraction=1.0)
        first = db.session.scalars(
            select(Column).where(Column.context_id == context.id).order_by(Column.id)
        ).first()
        # Seeded scores are 35-100 % of the maximum: every learner has crossed 35 %.
        badge = harness.badge(context, {"column": first.public_id, "min_percent": 35}, "Cohort")
        baseline_badge = harness.badge(context, None, "Baseline")
        awards = [
            ob.Award(
                ob.Recipient(email=f"baseline{i}@example.org", name=f"B {i}"),
                evidence=[{"narrative": "baseline"}],
            )
            for i in range(args.learners)
        ]
        from bench._machine import CpuMeter

        apart = (harness.process.pid,)
        with CpuMeter(apart) as base_cpu:
            start = time.perf_counter()
            for offset in range(0, len(awards), 500):
                ob.issue_many(baseline_badge, awards[offset : offset + 500])
            baseline = time.perf_counter() - start

        with CpuMeter(apart) as cpu:
            start = time.perf_counter()
            result = sync_course(context.id)
            wall = time.perf_counter() - start
        issued = db.session.scalar(
            select(func.count()).select_from(Assertion).where(Assertion.badge_id == badge.id)
        )
        assert issued == args.learners == result.passed.issued, (issued, result.as_dict())
        engine = "PostgreSQL" if harness.postgres else "SQLite"
        goal = 15 if harness.postgres else 10
        print(
            table(
                f"Cohort: {args.learners:,} learners x {args.columns} columns "
                f"({result.results:,} AGS results), {engine}, page size {_page_size()}; "
                f"goal: sync start -> last assertion <= {goal} s wall",
                ("what", "wall s", "tool CPU s", "platform CPU s", "awards", "awards/s"),
                [
                    (
                        "sync start -> last assertion stored+signed",
                        f"{wall:.2f}",
                        f"{cpu.tool:.2f}",
                        f"{cpu.platform:.2f}",
                        f"{issued:,}",
                        f"{issued / wall:,.0f}",
                    ),
                    (
                        "baseline: issue_many alone (same run)",
                        f"{baseline:.2f}",
                        f"{base_cpu.tool:.2f}",
                        f"{base_cpu.platform:.2f}",
                        f"{args.learners:,}",
                        f"{args.learners / baseline:,.0f}",
                    ),
                ],
            )
        )
        print(
            f"sync / issue_many alone: {wall / baseline:.2f}x wall, "
            f"{cpu.tool / base_cpu.tool:.2f}x tool CPU"
        )


if __name__ == "__main__":
    main()
