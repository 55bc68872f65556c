"""The factories make what the product would: people on their course's platform, rows a
launch token can stand on, awards whose credentials verify."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.extensions import db
from app.models import Membership
from app.openbadges.verify import verify
from tests.factories import AwardFactory, CourseFactory, PersonFactory, token_for


def test_a_person_of_a_course_is_enrolled_on_its_platform(app):
    course = CourseFactory()
    teacher = PersonFactory(course=course, staff=True)
    loner = PersonFactory()
    assert teacher.issuer == course.registration.issuer
    [membership] = db.session.scalars(select(Membership)).all()
    assert (membership.context_id, membership.user_id) == (course.id, teacher.id)
    assert membership.is_staff and membership.roles == ["Instructor"]
    assert loner.issuer != teacher.issuer


def test_an_award_verifies_for_its_learner_only(client):
    course = CourseFactory()
    ana = PersonFactory(course=course, email="ana@example.org")
    assertion = AwardFactory(badge__context=course, user=ana)
    assert assertion.lti_user_id == ana.id and assertion.badge.context_id == course.id
    report = verify(json.dumps(assertion.credential), email="ana@example.org")
    assert report.valid, report.errors
    assert not verify(assertion.credential_jwt, email="ben@example.org").valid


def test_factory_rows_carry_a_launch(client):
    course = CourseFactory()
    ana = PersonFactory(course=course)
    response = client.get("/course/learner", query_string={"lt": token_for(course, ana)})
    assert response.status_code == 200
