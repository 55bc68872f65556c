"""End-to-end LTI fixtures (a pytest plugin): the tool and the sandbox LMS over HTTP.

The tool listens on ``localhost`` and the sandbox on ``127.0.0.1``: two sites, so the tool
runs cross-site inside the sandbox's iframe exactly as inside a real LMS.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.audit import SYSTEM
from tests.support.browser import Browser
from tests.support.live import serve


@dataclass
class LtiEnv:
    tool_url: str
    sandbox_url: str
    sandbox: object  # the sandbox Flask app
    platforms: dict[str, object]  # slug -> PlatformInfo


@pytest.fixture(scope="session")
def lti_env(_app_session):
    from lti.sandbox import create_app as create_sandbox
    from lti.sandbox.seed import seed_demo

    tmp = Path(tempfile.mkdtemp(prefix="sandbox-"))
    sandbox = create_sandbox(
        {
            "SANDBOX_DATABASE_URL": f"sqlite:///{tmp / 'sandbox.db'}",
            "SECRET_KEY": "sandbox-test-secret",
            "TESTING": True,
        }
    )
    with serve(_app_session, "localhost") as tool_url, serve(sandbox, "127.0.0.1") as sbx_url:
        sandbox.config["SANDBOX_BASE_URL"] = sbx_url
        infos = seed_demo(sandbox, tool_url, learners=8)
        yield LtiEnv(tool_url, sbx_url, sandbox, {i.slug: i for i in infos})


@pytest.fixture
def registered(app, lti_env):
    """The tool's database knows both sandbox platforms (as `flask lti import-config` does),
    and the tool's public URL is the live server's."""
    from app.registrations.operations import PlatformSpec, save_platform

    app.config["PUBLIC_BASE_URL"] = lti_env.tool_url
    for info in lti_env.platforms.values():
        save_platform(
            PlatformSpec(
                issuer=info.issuer,
                client_id=info.client_id,
                auth_login_url=info.auth_login_url,
                auth_token_url=info.auth_token_url,
                auth_audience=info.auth_audience,
                key_set_url=info.key_set_url,
                deployment_ids=(info.deployment_id,),
                name=info.slug,
                product_family=info.flavour,
            ),
            actor=SYSTEM,
        )
    return lti_env


@pytest.fixture
def browser():
    return Browser()


def course_of(env: LtiEnv, slug: str):
    """(course id, title, [(login, role)]) of the seeded demo course."""
    from sqlalchemy import select

    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Course, Enrollment, Platform, User

    with session_scope(env.sandbox) as s:
        platform = s.scalars(select(Platform).where(Platform.slug == slug)).one()
        course = s.scalars(select(Course).where(Course.platform_id == platform.id)).first()
        rows = s.execute(
            select(User, Enrollment).join(Enrollment).where(Enrollment.course_id == course.id)
        ).all()
        return course.id, course.title, [(u.login, e.role) for u, e in rows]


def tool_columns(env: LtiEnv, slug: str) -> list[str]:
    """The labels of the tool's gradebook columns in the demo course: what AGS shows it."""
    from sqlalchemy import select

    from lti.sandbox.db import session_scope
    from lti.sandbox.models import LineItem

    course_id, _title, _people = course_of(env, slug)
    with session_scope(env.sandbox) as s:
        return list(
            s.scalars(
                select(LineItem.label).where(
                    LineItem.course_id == course_id, LineItem.tool_id.is_not(None)
                )
            )
        )


def start_launch(env: LtiEnv, slug: str, login: str, **kwargs) -> str:
    from lti.sandbox.seed import launch_url

    course_id, _title, _people = course_of(env, slug)
    return launch_url(env.sandbox, slug, course_id, login, **kwargs)


def login_of(env: LtiEnv, slug: str, role: str) -> str:
    """A login in the demo course by LTI role name (Instructor, TeachingAssistant, Learner)."""
    role = {"#Instructor": "teacher", "#TeachingAssistant": "ta", "#Learner": "student"}[role]
    _course_id, _title, people = course_of(env, slug)
    return next(login for login, r in people if r == role)
