"""Fixtures for the designer tests: a course with an instructor and a learner, and their
launch tokens (what a real launch hands the browser)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories import CourseFactory, MembershipFactory, PersonFactory, token_for


@dataclass
class Course:
    context_id: int
    registration_id: int
    staff_token: str
    learner_token: str
    other_course_token: str  # an instructor of another course of the same LMS


@pytest.fixture
def course(app) -> Course:
    context = CourseFactory()
    teacher = PersonFactory(course=context, staff=True)
    learner = PersonFactory(course=context)
    other = CourseFactory(deployment=context.deployment)
    MembershipFactory(context=other, user=teacher, is_staff=True)
    return Course(
        context_id=context.id,
        registration_id=context.registration_id,
        staff_token=token_for(context, teacher, staff=True),
        learner_token=token_for(context, learner),
        other_course_token=token_for(other, teacher, staff=True),
    )


def bearer(token: str) -> dict[str, str]:
    """The header the designer page's script sends."""
    return {"Authorization": f"Bearer {token}"}
