"""The Moodle connector against the sandbox's web services over real HTTP: native columns and
completion become columns and grades, badges follow them, and every set-up mistake an admin
can make gives one sentence saying what to fix."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.audit import SYSTEM
from app.awards.operations import check_criteria
from app.connectors.base import ConnectorError
from app.connectors.models import GradebookConnector
from app.connectors.operations import save_connector
from app.extensions import db
from app.grades import jobs
from app.grades.models import Column, Grade, JobState
from app.grades.sync import sync_course
from app.i18n import force_locale, shown
from app.models import LtiUser
from lti.sandbox import seed
from lti.sandbox.db import session_scope
from lti.sandbox.models import Platform, User
from tests.grades.support import Course, live_assertions, new_badge, new_course


@dataclass
class MoodleCourse:
    course: Course
    token: str
    essay_cmid: int
    essay_item: int
    learners: list[str]  # logins, ordered

    def sub(self, login: str) -> str:
        with session_scope(self.course.env.sandbox) as s:
            return s.scalars(
                select(User.lti_id)
                .join(Platform)
                .where(User.login == login, Platform.slug == "moodle")
            ).one()


def _connected(
    registered, browser, *, capabilities=seed.WS_CAPABILITIES, functions=None
) -> MoodleCourse:
    course = new_course(registered, browser, "moodle", learners=3)
    app = registered.sandbox
    cmid, item = seed.add_activity(
        app,
        "moodle",
        course.info.course_id,
        "Essay 1",
        maximum=100.0,
        completion=1,
        course_criterion=True,
    )
    seed.set_web_services(app, "moodle", rest_enabled=True)
    token = seed.create_ws_token(app, "moodle", capabilities=capabilities, functions=functions)
    save_connector(
        course.context.registration_id,
        kind="moodle",
        base_url=f"{registered.sandbox_url}/moodle",
        token=token,
        enabled=True,
    )
    learners = course.info.learner_logins
    seed.set_score(app, "moodle", course.info.course_id, item, learners[0], 85.0)
    seed.set_score(app, "moodle", course.info.course_id, item, learners[1], 40.0)
    seed.set_completion(app, "moodle", cmid, learners[0], 1)
    return MoodleCourse(course, token, cmid, item, learners)


def _columns(context_id: int, source: str = "moodle") -> dict[str, Column]:
    return {
        c.label: c
        for c in db.session.scalars(
            select(Column).where(
                Column.context_id == context_id, Column.active.is_(True), Column.source == source
            )
        )
    }


def _grade(column: Column, sub: str) -> Grade:
    return db.session.scalars(
        select(Grade)
        .join(LtiUser, LtiUser.id == Grade.user_id)
        .where(Grade.column_id == column.id, LtiUser.sub == sub)
    ).one()


def test_native_column_completion_and_course_total_become_columns(app, registered, browser):
    m = _connected(registered, browser)
    result = sync_course(m.course.context.id)
    columns = _columns(m.course.context.id)
    assert {"Essay 1", "Course total", "Essay 1 (completed)", "Course completion"} <= set(columns)
    assert columns["Essay 1"].source == "moodle" and columns["Essay 1"].score_maximum == 100
    # The tool's own column comes through AGS only, not twice.
    assert "Exam" in _columns(m.course.context.id, "ags") and "Exam" not in columns
    first, second = m.sub(m.learners[0]), m.sub(m.learners[1])
    assert _grade(columns["Essay 1"], first).score == 85
    assert _grade(columns["Essay 1"], second).score == 40
    assert _grade(columns["Essay 1 (completed)"], first).score == 100
    assert _grade(columns["Essay 1 (completed)"], second).score == 0
    assert _grade(columns["Course completion"], first).score == 100
    # Moodle's course total counts only graded items: each learner has their own maximum.
    total = columns["Course total"]
    assert total.score_maximum is None
    assert (
        _grade(total, first).maximum != _grade(total, second).maximum
        or _grade(total, first).score != _grade(total, second).score
    )
    assert result.results > 0
    again = sync_course(m.course.context.id)
    assert again.passed.changed == 0  # only changed grades become events


def test_native_grade_meets_a_badge_after_a_check(app, registered, browser):
    from app.awards.operations import badge_saved

    m = _connected(registered, browser)
    sync_course(m.course.context.id)
    essay = _columns(m.course.context.id)["Essay 1"]
    badge = new_badge(m.course.context, {"column": essay.public_id, "min_percent": 80})
    badge_saved(badge, SYSTEM)
    holders = {a.lti_user_id for a in live_assertions(badge)}
    assert {db.session.get(LtiUser, h).sub for h in holders} == {m.sub(m.learners[0])}

    seed.set_score(
        registered.sandbox, "moodle", m.course.info.course_id, m.essay_item, m.learners[1], 92.0
    )
    third = sync_course(m.course.context.id)
    assert (third.passed.changed, third.passed.issued) == (2, 1)  # Essay 1 and course total
    assert len(live_assertions(badge)) == 2


def test_course_completion_criterion(app, registered, browser):
    from app.awards.operations import badge_saved

    m = _connected(registered, browser)
    sync_course(m.course.context.id)
    done = _columns(m.course.context.id)["Course completion"]
    badge = new_badge(m.course.context, {"column": done.public_id, "min_percent": 100})
    badge_saved(badge, SYSTEM)
    assert len(live_assertions(badge)) == 1
    seed.set_completion(registered.sandbox, "moodle", m.essay_cmid, m.learners[2], 1)
    assert sync_course(m.course.context.id).passed.issued == 1


def test_columns_say_what_they_measure_and_completion_rules_award(app, registered, browser):
    from app.awards.operations import badge_saved

    m = _connected(registered, browser)
    sync_course(m.course.context.id)
    columns = _columns(m.course.context.id)
    assert {label: c.kind for label, c in columns.items()} == {
        "Essay 1": "score",
        "Course total": "course_total",
        "Essay 1 (completed)": "activity_completion",
        "Course completion": "course_completion",
    }
    assert _columns(m.course.context.id, "ags")["Exam"].kind == "score"
    rule = {
        "all": [
            {"completed": ["Essay 1 (completed)", "Course completion"]},
            {"column": "Course total", "min_percent": 1},
        ]
    }
    badge = new_badge(m.course.context, None)
    badge.criteria = check_criteria(rule, m.course.context.id, badge.public_id)
    badge_saved(badge, SYSTEM)
    assert badge.criteria_narrative == (
        "Complete Essay 1 and the course and reach a course total of at least 1 %."
    )
    assert {db.session.get(LtiUser, a.lti_user_id).sub for a in live_assertions(badge)} == {
        m.sub(m.learners[0])
    }
    # Completing the essay completes this course (it is the course's completion criterion).
    seed.set_completion(registered.sandbox, "moodle", m.essay_cmid, m.learners[1], 1)
    assert sync_course(m.course.context.id).passed.issued == 1


def _failure(m: MoodleCourse) -> str:
    with pytest.raises(ConnectorError) as caught:
        sync_course(m.course.context.id)
    assert not caught.value.retryable  # a person must act first
    stored = db.session.get(GradebookConnector, m.course.context.registration_id)
    db.session.refresh(stored)
    # Stored as the sentence's template and values, shown in the reader's language.
    assert shown(stored.last_error) == str(caught.value)
    return str(caught.value)


def test_rest_off_says_how_to_turn_it_on(app, registered, browser):
    m = _connected(registered, browser)
    seed.set_web_services(registered.sandbox, "moodle", rest_enabled=False)
    try:
        assert "REST protocol are off" in _failure(m)
    finally:
        seed.set_web_services(registered.sandbox, "moodle", rest_enabled=True)


def test_deleted_token(app, registered, browser):
    m = _connected(registered, browser)
    seed.delete_ws_token(registered.sandbox, m.token)
    assert "does not know the connector's token" in _failure(m)


def test_missing_capability_is_named(app, registered, browser):
    m = _connected(
        registered,
        browser,
        capabilities=[c for c in seed.WS_CAPABILITIES if c != "moodle/grade:viewall"],
    )
    message = _failure(m)
    assert "moodle/grade:viewall" in message and "gradereport_user_get_grade_items" in message


def test_function_not_in_the_service(app, registered, browser):
    m = _connected(
        registered,
        browser,
        functions=[
            "core_course_get_contents",
            "core_grades_get_gradeitems",
            "gradereport_user_get_grade_items",
        ],
    )
    assert "core_completion_get_activities_completion_status" in _failure(m)


def test_course_not_accessible(app, registered, browser):
    m = _connected(
        registered,
        browser,
        capabilities=[c for c in seed.WS_CAPABILITIES if c != "moodle/course:view"],
    )
    assert "moodle/course:view" in _failure(m)


def test_cannot_view_completion_report(app, registered, browser):
    m = _connected(
        registered,
        browser,
        capabilities=[c for c in seed.WS_CAPABILITIES if c != "report/completion:view"],
    )
    assert "report/completion:view" in _failure(m)


def test_missing_mod_view_is_detected(app, registered, browser):
    m = _connected(
        registered,
        browser,
        capabilities=[c for c in seed.WS_CAPABILITIES if c != "mod/assign:view"],
    )
    sync_course(m.course.context.id)  # no error: Moodle leaves the rows out silently
    columns = _columns(m.course.context.id)
    assert "Essay 1" not in columns and "Course total" in columns
    stored = db.session.get(GradebookConnector, m.course.context.registration_id).last_error
    warning = shown(stored)
    assert "mod/assign:view" in warning and "Essay 1" in warning
    with force_locale("es"):  # the console and the course page show it in their language
        assert shown(stored).startswith("Moodle dejó 1 columna(s)")


def test_sync_job_shows_the_sentence_and_does_not_retry(app, registered, browser):
    m = _connected(registered, browser)
    seed.update_ws_token(registered.sandbox, m.token, suspended=True)
    job = jobs.request_job(jobs.SYNC, m.course.context.id, requested_by="test")
    db.session.refresh(job)
    assert job.state == JobState.DEAD and job.attempts == 1
    outcome = jobs.last_sync_outcome(m.course.context.id)
    assert "web service user is suspended" in outcome.message


def test_staff_see_each_column_source_and_the_connector_problem(app, registered, browser, client):
    m = _connected(
        registered, browser, capabilities=[c for c in seed.WS_CAPABILITIES if c != "mod/quiz:view"]
    )
    seed.add_activity(
        registered.sandbox,
        "moodle",
        m.course.info.course_id,
        "Quiz 9",
        modname="quiz",
        maximum=10.0,
        completion=0,
    )
    checked = client.post("/course/awards/sync", data={"lt": m.course.token})
    assert checked.status_code in (302, 303)
    page = client.get(f"/course/awards/?lt={m.course.token}").text
    assert "Moodle gradebook" in page and "LTI (the tool" in page
    assert "<td>Essay 1</td>" in page and "<td>Quiz 9</td>" not in page
    assert "mod/quiz:view" in page and "Quiz 9" in page  # the sentence staff pass on


def test_an_unchanged_course_writes_no_column_or_grade(app, registered, browser):
    from sqlalchemy import event

    m = _connected(registered, browser)
    sync_course(m.course.context.id)
    writes: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and (
            "grade_column" in statement or "grade " in statement + " "
        ):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sync_course(m.course.context.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The AGS mirror must leave the native columns alone (and the other way round).
    assert writes == []
