"""Canvas connector read of one course over OAuth 2: N students, one native assignment, and
M modules with completion requirements (one module list per student, four at a time).

Measures the connector's read (``read_native``) of a course with modules and, in the same
run, of the same course shape without modules (the baseline a module column adds to): wall
time and API calls, first read (each student's Canvas id looked up) and second read (ids
cached). The sandbox Canvas runs in its own process and throttles each token as Canvas does
(a 700-unit bucket leaking 10 units a second, 1 unit a request): a course's check spends one
unit per call, and below 50 units left the client pauses before each call, so a large course
read twice in a row is paced by the bucket, not by either side's CPU.

Run: ``.venv/bin/python bench/canvas.py [--learners N] [--modules M] [--database-url …]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cohort import Harness, table


def _canvas(harness: Harness) -> None:
    """Register the tool on the sandbox's Canvas too (the harness registers Moodle)."""
    from app.audit import SYSTEM
    from app.registrations.operations import PlatformSpec, save_platform
    from lti.sandbox.seed import (
        CANVAS_CLIENT_ID,
        CANVAS_DEPLOYMENT_ID,
        platform_info,
        register_tool,
    )

    register_tool(
        harness.sandbox,
        "canvas",
        harness.tool_url,
        client_id=CANVAS_CLIENT_ID,
        deployment_id=CANVAS_DEPLOYMENT_ID,
        flavour="canvas",
    )
    info = platform_info(harness.sandbox, "canvas", CANVAS_CLIENT_ID)
    save_platform(
        PlatformSpec(
            issuer=info.issuer,
            client_id=info.client_id,
            auth_login_url=info.auth_login_url,
            auth_token_url=info.auth_token_url,
            auth_audience=info.auth_audience,
            key_set_url=info.key_set_url,
            deployment_ids=(info.deployment_id,),
            name="canvas",
            product_family="canvas",
        ),
        actor=SYSTEM,
    )


def _course(harness: Harness, learners: int, modules: int) -> Any:
    """A Canvas course launched by its teacher, connected with OAuth and authorized."""
    from sqlalchemy import select

    from app.connectors.canvas_oauth import SCOPES
    from app.connectors.operations import save_connector
    from app.extensions import db
    from app.grades.sync import sync_course
    from app.models import Context
    from lti.sandbox import seed
    from tests.support.browser import Browser

    sbx = harness.sandbox
    info = seed.create_course(
        sbx, "canvas", f"Bench {learners}x{modules}", learners=learners, columns=[("Quiz", 10.0)]
    )
    essay = seed.add_column(sbx, "canvas", info.course_id, "Essay", 100.0)
    for i, login in enumerate(info.learner_logins):
        seed.set_score(sbx, "canvas", info.course_id, essay, login, 40.0 + i % 60)
    for n in range(modules):
        seed.add_module(
            sbx, "canvas", info.course_id, f"Week {n + 1}", [("Essay", essay, "min_score", 50.0)]
        )
    browser = Browser()
    landing = browser.walk(
        browser.get(seed.launch_url(sbx, "canvas", info.course_id, info.teacher_login))
    )
    token = landing.url.split("lt=", 1)[1].split("&", 1)[0]
    context = db.session.scalars(
        select(Context).where(Context.lti_context_id == info.context_id)
    ).one()
    client_id, secret = seed.create_developer_key(
        sbx,
        "canvas",
        f"{harness.tool_url}/connectors/canvas/callback",
        scopes=SCOPES,
        require_scopes=True,
    )
    save_connector(
        context.registration_id,
        kind="canvas",
        base_url=f"{harness.sandbox_url}/canvas",
        token=None,
        enabled=True,
        auth="oauth",
        client_id=client_id,
        client_secret=secret,
        enforce_scopes=True,
    )
    s = browser.session
    s.get(seed.course_url(sbx, "canvas", info.course_id, info.teacher_login))
    consent = s.get(f"{harness.tool_url}/connectors/canvas/authorize", params={"lt": token})
    s.post(consent.url, data={"decision": "accept"})
    sync_course(context.id)  # the roster (NRPS) the connector maps students with
    return context


def _read(context_id: int) -> tuple[float, int]:
    """One connector read: seconds and Canvas API calls."""
    from app.connectors import canvas
    from app.connectors.sync import read_native

    calls = 0
    plain = canvas.CanvasClient._get

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return plain(self, *args, **kwargs)

    canvas.CanvasClient._get = counted
    try:
        start = time.perf_counter()
        read_native(context_id)
        return time.perf_counter() - start, calls
    finally:
        canvas.CanvasClient._get = plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--modules", type=int, default=3)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()

    with Harness(args.database_url) as harness:
        from app.extensions import cache

        _canvas(harness)
        rows = []
        for modules in (args.modules, 0):
            context = _course(harness, args.learners, modules)
            cache.clear()  # the first read looks every student's Canvas id up
            first, first_calls = _read(context.id)
            second, second_calls = _read(context.id)
            rows.append(
                (
                    f"{args.learners} students, {modules} modules",
                    f"{first:.2f} s / {first_calls}",
                    f"{second:.2f} s / {second_calls}",
                )
            )
    print(
        table(
            "Canvas connector read over OAuth 2 (wall time / API calls)",
            ("course", "first read (ids looked up)", "second read (ids cached)"),
            rows,
        )
    )


if __name__ == "__main__":
    main()
