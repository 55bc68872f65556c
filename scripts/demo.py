"""``make run``: the tool and the sandbox LMS side by side, ready to click through.

The tool serves on ``localhost`` and the sandbox on ``127.0.0.1``: two different sites, so the
tool runs in a cross-site iframe as it does inside a real Moodle or Canvas. The sandbox is
seeded (idempotently) with a Moodle-like and a Canvas-like platform, each with a demo course,
and the tool learns both registrations from ``config.json`` (the committed bootstrap file).

A third platform, ``moodle-dynreg`` (Moodle flavour), is registered the way an LMS admin does
it: once both servers answer, the sandbox hands the tool's ``/lti/register`` its OpenID
configuration URL and a registration token, the tool registers over HTTP (auto-approved for
the demo: ``LTI_REGISTRATION_AUTO_APPROVE``), and the sandbox's admin activates the tool.
Every platform's "Register a tool" page lets a newcomer do the same by hand.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DYNREG_SLUG = "moodle-dynreg"
NATIVE_BADGE = "Python basics"
DYNREG_COURSE = "Digital Badges Workshop"


def register_dynamically(
    tool: Any, sandbox: Any, tool_url: str, slug: str, learners: int
) -> tuple[int, str]:
    """Register the tool on the sandbox platform ``slug`` through LTI Dynamic Registration
    (unless the tool already holds a registration the platform still has active), activate
    it there and make sure a course launches it. Returns (course id, teacher login)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Registration
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Course, Enrollment, Platform, Tool, User
    from lti.sandbox.seed import (
        activate_tool,
        create_course,
        create_platform,
        deactivate_tool,
        start_registration,
        tool_state,
    )

    issuer = create_platform(
        sandbox, slug, "moodle", name="Sandbox Moodle (registered dynamically)"
    )
    with tool.app_context():
        known = list(
            db.session.scalars(
                select(Registration.client_id).filter_by(issuer=issuer).order_by(Registration.id)
            )
        )
    client_id = None
    for candidate in reversed(known):
        try:
            if tool_state(sandbox, slug, candidate)["active"]:
                client_id = candidate
                break
        except LookupError:
            continue  # the sandbox database was reset; this registration is stale
    if client_id is None:
        configuration_url, token = start_registration(sandbox, slug)
        # What the LMS's registration dialog does: open the tool's URL with both parameters.
        page = requests.get(
            f"{tool_url}/lti/register",
            timeout=60,
            params={"openid_configuration": configuration_url, "registration_token": token},
        )
        if page.status_code != 200:
            raise RuntimeError(f"dynamic registration failed (HTTP {page.status_code})")
        with tool.app_context():
            client_id = db.session.scalars(
                select(Registration.client_id)
                .filter_by(issuer=issuer)
                .order_by(Registration.id.desc())
            ).first()
        if client_id is None:
            raise RuntimeError("the tool answered but stored no registration")
        # Tools of earlier demo runs the tool no longer knows would only fail to launch.
        with session_scope(sandbox) as s:
            stale = list(
                s.scalars(
                    select(Tool.client_id)
                    .join(Platform)
                    .where(Platform.slug == slug, Tool.client_id != client_id, Tool.active)
                )
            )
        for old in stale:
            deactivate_tool(sandbox, slug, old)
        activate_tool(sandbox, slug, client_id)
    with session_scope(sandbox) as s:
        platform = s.scalars(select(Platform).where(Platform.slug == slug)).one()
        course_id = s.scalar(
            select(Course.id).where(Course.platform_id == platform.id).order_by(Course.id)
        )
    if course_id is None:
        course_id = create_course(
            sandbox, slug, DYNREG_COURSE, learners=learners, client_id=client_id
        ).course_id
    with session_scope(sandbox) as s:
        teacher = s.scalar(
            select(User.login)
            .join(Enrollment)
            .where(Enrollment.course_id == course_id, Enrollment.role == "teacher")
            .order_by(Enrollment.id)
        )
    return course_id, str(teacher)


def native_quiz_badge(tool: Any, sandbox: Any, moodle: Any, sandbox_url: str) -> str:
    """The Moodle demo course's badge on a native quiz (idempotent): the sandbox gets a quiz
    that is not the tool's (graded, web services on, a token), the tool gets the Moodle
    connector enabled for that registration (as an admin does in the console), reads the
    course's native columns, and the badge "Python basics" (80 % in the quiz, automatic
    awards on) is live. Learners who qualify get it with the teacher's first launch, which
    reads the roster. Returns a line for the start-up message."""
    from sqlalchemy import select

    from app.artwork import badge_artwork
    from app.audit import SYSTEM
    from app.awards.operations import badge_saved
    from app.connectors.base import ConnectorError
    from app.connectors.operations import connector_of, save_connector
    from app.connectors.sync import read_native
    from app.criteria import describe, parse_criteria
    from app.designer.operations import course_issuer
    from app.extensions import db
    from app.grades.models import Column
    from app.models import Context, Deployment, Registration
    from app.openbadges import badges
    from app.openbadges.models import Badge
    from lti.sandbox.seed import DEMO_QUIZ, seed_native_quiz

    course, token = seed_native_quiz(sandbox, moodle.slug)
    if course is None:
        return "  No Moodle demo course: no native quiz badge."
    with tool.app_context():
        registration = db.session.scalars(
            select(Registration).where(
                Registration.issuer == moodle.issuer, Registration.client_id == moodle.client_id
            )
        ).one()
        if connector_of(registration.id) is None:
            save_connector(
                registration.id,
                kind="moodle",
                base_url=f"{sandbox_url}/moodle",
                token=token,
                enabled=True,
            )
        deployment = db.session.scalars(
            select(Deployment).where(
                Deployment.registration_id == registration.id,
                Deployment.deployment_id == moodle.deployment_id,
            )
        ).one()
        # The course as its first launch records it; the launch fills in the rest.
        context = db.session.scalars(
            select(Context).where(
                Context.deployment_id == deployment.id,
                Context.lti_context_id == course.context_id,
            )
        ).first()
        if context is None:
            context = Context(
                registration_id=registration.id,
                deployment_id=deployment.id,
                lti_context_id=course.context_id,
                title="Introduction to Data Science",
            )
            db.session.add(context)
            db.session.commit()
        if db.session.scalar(
            select(Badge.id).where(Badge.context_id == context.id, Badge.name == NATIVE_BADGE)
        ):
            return f"  Badge on a native Moodle quiz: {NATIVE_BADGE} ({DEMO_QUIZ})."
        try:
            read_native(context.id)
        except ConnectorError as exc:
            return f"  The native quiz badge was not set up: {exc}"
        quiz = db.session.scalars(
            select(Column).where(Column.context_id == context.id, Column.label == DEMO_QUIZ)
        ).one()
        criteria = {"column": quiz.public_id, "min_percent": 80}
        badge = badges.create_badge(
            course_issuer(context),
            NATIVE_BADGE,
            "Scored at least 80 % in the course's Python basics quiz.",
            describe(parse_criteria(criteria), {quiz.public_id: quiz.label}),
            context_id=context.id,
            criteria=criteria,
            enabled=True,
            artwork=badge_artwork(NATIVE_BADGE),
        )
        badge_saved(badge, SYSTEM, requested_by="demo")
        db.session.commit()
    return (
        f"  Badge on a native Moodle quiz: {NATIVE_BADGE} ({DEMO_QUIZ}), "
        f"as {course.teacher_login}: {sandbox_url}/moodle/course/{course.course_id}"
        f"?as={course.teacher_login}"
    )


def main(argv: list[str] | None = None) -> None:
    """Seed the sandbox, register it with the tool, and serve both until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tool-port", type=int, default=5000)
    parser.add_argument("--sandbox-port", type=int, default=5001)
    parser.add_argument("--learners", type=int, default=30)
    args = parser.parse_args(argv)

    tool_url = f"http://localhost:{args.tool_port}"
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    os.environ.setdefault("PUBLIC_BASE_URL", tool_url)
    # The demo approves its own dynamic registrations (and a newcomer's from the sandbox's
    # "Register a tool" page); a real deployment leaves them pending for an admin.
    os.environ.setdefault("LTI_REGISTRATION_AUTO_APPROVE", "true")
    # The sandbox LMS listens on loopback: the tool (and its worker) may call it there. A real
    # deployment leaves this off unless its LMS or webhook receivers are on a private network.
    os.environ.setdefault("OUTBOUND_ALLOW_PRIVATE_NETWORKS", "true")

    from app import create_app
    from app.audit import SYSTEM
    from app.registrations.operations import import_pylti_config
    from lti.sandbox import create_app as create_sandbox
    from lti.sandbox.seed import seed_demo, write_tool_config

    sandbox_config = {
        "SANDBOX_BASE_URL": sandbox_url,
        "SECRET_KEY": os.environ.get("SANDBOX_SECRET_KEY", "sandbox-demo-secret"),
    }
    if os.environ.get("SANDBOX_DATABASE_URL"):  # default: instance/sandbox.db
        sandbox_config["SANDBOX_DATABASE_URL"] = os.environ["SANDBOX_DATABASE_URL"]
    sandbox = create_sandbox(sandbox_config)
    platforms = seed_demo(sandbox, tool_url, learners=args.learners)
    config_path = ROOT / "config.json"
    if (args.tool_port, args.sandbox_port) != (5000, 5001):
        config_path = ROOT / "instance" / "config.demo.json"  # keep the committed one intact
    config = write_tool_config(platforms, config_path)

    tool = create_app()
    with tool.app_context():
        import_pylti_config(config, SYSTEM)

    servers = [
        make_server("localhost", args.tool_port, tool, threaded=True),
        make_server("127.0.0.1", args.sandbox_port, sandbox, threaded=True),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # Registration needs both servers answering: the tool fetches the sandbox's
    # configuration and posts its registration, the sandbox later fetches the tool's keys.
    try:
        course_id, teacher = register_dynamically(
            tool, sandbox, tool_url, DYNREG_SLUG, args.learners
        )
        dynreg_line = (
            f"  Registered by LTI Dynamic Registration at start-up: "
            f"{sandbox_url}/{DYNREG_SLUG}/course/{course_id}?as={teacher}"
        )
    except (RuntimeError, requests.RequestException) as exc:
        dynreg_line = f"  Dynamic registration of /{DYNREG_SLUG} failed: {exc}"
    moodle = next(p for p in platforms if p.slug == "moodle")
    native_line = native_quiz_badge(tool, sandbox, moodle, sandbox_url)
    # The job consumer (syncs, awards, mail, webhooks) runs beside the servers, as it would in
    # production: its own process, the same database and queue. Started once the demo's own
    # rows are written: on SQLite its first syncs, committing while the demo read and wrote,
    # made the demo's writes fail ("database is locked") under load. What the set-up queued
    # waits in the queue for it.
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=ROOT,
        env={**os.environ, "PUBLIC_BASE_URL": tool_url},
    )
    print(
        f"""
Badgebridge is running.

  Sandbox LMS (open this): {sandbox_url}/
  Tool:                    {tool_url}/  (health: {tool_url}/healthz)

In the sandbox, open a course as the instructor or a learner: the tool loads inside the
course page. Both flavours are there: Moodle-like ({sandbox_url}/moodle/) and Canvas-like
({sandbox_url}/canvas/), registered from config.json.
{dynreg_line}
{native_line}
  Register it yourself: {sandbox_url}/canvas/admin/tools/register (paste {tool_url}/lti/register)

A job worker (`flask worker`) runs alongside: grade syncs, awards, mail (printed to this log).
Press Ctrl-C to stop.
""",
        flush=True,
    )
    # Stopped by a signal rather than Ctrl-C (a closed terminal, `kill`): stop the same way, so
    # the worker does not outlive the demo and keep syncing courses of a sandbox that is gone.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.default_int_handler)
    try:
        worker.wait()  # the demo lives as long as its worker
        print("the job worker stopped; stopping the demo", flush=True)
    except KeyboardInterrupt:
        worker.terminate()
    finally:
        for server in servers:
            server.shutdown()
        worker.wait(timeout=10)


if __name__ == "__main__":
    main()
