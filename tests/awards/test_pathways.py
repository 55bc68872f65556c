"""Pathways: earning a badge re-evaluates the badges that require it in the same pass; loops
are refused when criteria are saved. Built on factory rows (no platform needed)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.awards.operations import check_criteria
from app.awards.pipeline import ingest
from app.criteria import CriteriaError
from app.extensions import db
from app.grades.operations import GradeEvent
from app.models.base import utcnow
from app.openbadges.badges import update_badge
from app.openbadges.models import Assertion
from tests.factories import ColumnFactory, CourseFactory, PersonFactory
from tests.grades.support import new_badge


@pytest.fixture
def course(app):
    context = CourseFactory(title="Pathways 101")
    learner = PersonFactory(course=context, name="Lea Learner", email="lea@example.org")
    columns = [
        ColumnFactory(context=context, label=f"Unit {i}", score_maximum=10.0) for i in (1, 2)
    ]
    return context, learner, columns


def _event(context, learner, column, score):
    return GradeEvent(context.id, column.id, learner.id, score, 10.0, utcnow(), "manual")


def test_earning_a_badge_completes_the_pathway_in_one_pass(course):
    context, learner, (unit1, unit2) = course
    # Created in this order on purpose: the advanced badge comes first by id.
    advanced = new_badge(context, None, name="Advanced")
    basics = new_badge(context, {"column": unit1.public_id, "min_percent": 50}, name="Basics")
    update_badge(
        advanced,
        criteria=check_criteria(
            {"all": [{"badge": basics.public_id}, {"column": unit2.public_id, "min_percent": 50}]},
            context.id,
            advanced.public_id,
        ),
    )

    first = ingest([_event(context, learner, unit2, 9)])
    assert first.issued == 0  # unit 2 alone: the pathway needs Basics first
    second = ingest([_event(context, learner, unit1, 6)])
    assert second.issued == 2
    held = set(
        db.session.scalars(select(Assertion.badge_id).where(Assertion.lti_user_id == learner.id))
    )
    assert held == {basics.id, advanced.id}


def test_criteria_must_name_the_course_s_columns_and_badges_without_loops(course):
    context, _learner, (unit1, _unit2) = course
    first = new_badge(context, {"column": unit1.public_id, "min_percent": 50}, name="First")
    second = new_badge(context, {"badge": first.public_id}, name="Second")
    with pytest.raises(CriteriaError) as loop:
        check_criteria(
            {"any": [{"column": unit1.public_id, "min_percent": 90}, {"badge": second.public_id}]},
            context.id,
            first.public_id,
        )
    assert loop.value.path == "/any/1/badge"
    with pytest.raises(CriteriaError) as unknown:
        check_criteria({"average": [unit1.public_id, "nope"], "min_percent": 50}, context.id)
    assert unknown.value.path == "/average/1"
