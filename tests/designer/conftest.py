"""Fixtures for the designer tests: a course with an instructor and a learner, and their
launch tokens (what a real launch hands the browser)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@dataclass
class Course:
    context_id: int
    registration_id: int
    staff_token: str
    learner_token: str
    other_course_token: str  # an instructor of another course of the same LMS


def _launch(reg, dep, sub: str, role: str, course: str = "course-1") -> str:
    # Imported here, once the app exists: importing app modules before the factory has
    # loaded them all can trip over import cycles between product areas.
    from app.course.operations import LaunchFacts, PersonFacts, record_launch
    from app.launch_session import LaunchSession

    recorded = record_launch(
        LaunchFacts(
            registration_id=reg.id,
            deployment_id=dep.id,
            person=PersonFacts(issuer=reg.issuer, sub=sub, name=f"Person {sub}"),
            lti_context_id=course,
            context_title=f"Course {course}",
            roles=[MEMBERSHIP + role],
        )
    )
    return LaunchSession(
        registration_id=reg.id,
        deployment_id=dep.id,
        context_id=recorded.context_id,
        user_id=recorded.user_id,
        is_staff=recorded.is_staff,
    ).token()


@pytest.fixture
def course(app) -> Course:
    from app.launch_session import read_token
    from app.registrations.operations import PlatformSpec, save_platform

    reg = save_platform(
        PlatformSpec(
            issuer="https://lms.example",
            client_id="c1",
            name="Example LMS",
            auth_login_url="https://lms.example/auth",
            auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/jwks",
            deployment_ids=("d1",),
        )
    )
    dep = reg.deployments[0]
    staff = _launch(reg, dep, "teacher", "Instructor")
    learner = _launch(reg, dep, "student", "Learner")
    other = _launch(reg, dep, "teacher", "Instructor", course="course-2")
    return Course(
        context_id=read_token(staff).context_id,
        registration_id=reg.id,
        staff_token=staff,
        learner_token=learner,
        other_course_token=other,
    )


def bearer(token: str) -> dict[str, str]:
    """The header the designer page's script sends."""
    return {"Authorization": f"Bearer {token}"}
