"""The Canvas connector against the sandbox's Canvas REST API over real HTTP: native
assignments and the course score become columns, every page is read, the throttle is
respected, and a bad token or a token without rights gives a sentence saying what to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit import SYSTEM
from app.connectors.base import ConnectorError
from app.connectors.operations import save_connector
from app.extensions import cache, db
from app.grades.models import Column, Grade
from app.grades.sync import sync_course
from lti.sandbox import seed
from tests.grades.support import live_assertions, new_badge, new_course


@pytest.fixture(autouse=True)
def _quick_back_off(app):
    app.config["CANVAS_THROTTLE_PAUSE_SECONDS"] = 0.02
    cache.clear()  # Canvas user ids are cached per host; each test has a new sandbox course
    yield
    app.config.pop("CANVAS_THROTTLE_PAUSE_SECONDS", None)


def _connected(registered, browser, learners=3, **token):
    course = new_course(registered, browser, "canvas", learners=learners)
    app = registered.sandbox
    essay = seed.add_column(app, "canvas", course.info.course_id, "Essay 1", 100.0)
    token_value = seed.create_api_token(app, "canvas", course.info.teacher_login, **token)
    save_connector(
        course.context.registration_id,
        kind="canvas",
        base_url=f"{registered.sandbox_url}/canvas",
        token=token_value,
        enabled=True,
    )
    return course, essay, token_value


def _columns(context_id: int) -> dict[str, Column]:
    return {
        c.label: c
        for c in db.session.scalars(
            select(Column).where(Column.context_id == context_id, Column.source == "canvas")
        )
    }


def test_native_assignment_and_course_score_award_a_badge(app, registered, browser):
    from app.awards.operations import badge_saved

    course, essay, _token = _connected(registered, browser)
    learner = course.info.learner_logins[0]
    seed.set_score(registered.sandbox, "canvas", course.info.course_id, essay, learner, 91.0)
    sync_course(course.context.id)
    columns = _columns(course.context.id)
    # The tool's own column (its AGS line item, an assignment in Canvas) is not doubled.
    assert set(columns) == {"Essay 1", "Course total (current score %)"}
    assert columns["Essay 1"].score_maximum == 100
    badge = new_badge(course.context, {"column": columns["Essay 1"].public_id, "min_percent": 90})
    badge_saved(badge, SYSTEM)
    assert len(live_assertions(badge)) == 1
    totals = db.session.scalar(
        select(func.count())
        .select_from(Grade)
        .where(Grade.column_id == columns["Course total (current score %)"].id)
    )
    assert totals == 3
    assert sync_course(course.context.id).passed.changed == 0


def test_every_page_is_read(app, registered, browser):
    course, essay, _token = _connected(registered, browser, learners=130)
    for login in course.info.learner_logins[-3:]:
        seed.set_score(registered.sandbox, "canvas", course.info.course_id, essay, login, 50.0)
    sync_course(course.context.id)
    columns = _columns(course.context.id)
    graded = db.session.scalar(
        select(func.count()).select_from(Grade).where(Grade.column_id == columns["Essay 1"].id)
    )
    totals = db.session.scalar(
        select(func.count())
        .select_from(Grade)
        .where(Grade.column_id == columns["Course total (current score %)"].id)
    )
    # The last learners' essays sit on the last page of submissions; 130 students: 2 pages.
    assert (graded, totals) == (3, 130)


def test_the_throttle_is_waited_out(app, registered, browser):
    app.config["CANVAS_THROTTLE_PAUSE_SECONDS"] = 0.1
    course, essay, token = _connected(registered, browser, capacity=3.0, cost=1.0, leak=2.0)
    seed.set_score(
        registered.sandbox,
        "canvas",
        course.info.course_id,
        essay,
        course.info.learner_logins[0],
        80.0,
    )
    sync_course(course.context.id)
    assert seed.api_token_throttled(registered.sandbox, token) > 0  # it did hit the limit
    assert "Essay 1" in _columns(course.context.id)


def test_a_throttle_that_does_not_lift_is_retried_later(app, registered, browser):
    course, _essay, _token = _connected(registered, browser, capacity=2.0, cost=1.0, leak=0.0)
    with pytest.raises(ConnectorError) as caught:
        sync_course(course.context.id)
    assert caught.value.retryable and caught.value.retry_after == 60
    assert "Rate Limit Exceeded" in str(caught.value)


def test_expired_token(app, registered, browser):
    course, _essay, _token = _connected(registered, browser, expires_in=timedelta(seconds=-1))
    with pytest.raises(ConnectorError) as caught:
        sync_course(course.context.id)
    assert not caught.value.retryable and "New access token" in str(caught.value)


def test_token_of_a_user_without_rights(app, registered, browser):
    course, _essay, _token = _connected(registered, browser)
    student = seed.create_api_token(registered.sandbox, "canvas", course.info.learner_logins[0])
    save_connector(
        course.context.registration_id,
        kind="canvas",
        base_url=f"{registered.sandbox_url}/canvas",
        token=student,
        enabled=True,
    )
    with pytest.raises(ConnectorError) as caught:
        sync_course(course.context.id)
    assert "teacher role" in str(caught.value)
