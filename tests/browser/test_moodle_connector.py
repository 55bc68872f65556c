"""An admin enables the Moodle connector in the console; the instructor sees the native
"Essay 1" column, sets a criterion on it; a grade in the sandbox's Moodle gradebook meets it;
Check now awards the badge. The tool's database starts empty and gets there by clicks only;
the sandbox's side (an assignment, web services on, a web-service token) is the LMS admin's."""

from __future__ import annotations

import re

import pytest

from tests.browser.shots import enable_moodle_connector, grade_in_lms, live_badge_on_column
from tests.browser.test_instructor_loop import _open_tool, _text

pytestmark = pytest.mark.browser


def test_admin_enables_moodle_and_a_native_grade_awards_a_badge(
    registered, admin_user, chromium_context
):
    from lti.sandbox import seed

    env = registered
    course = seed.create_course(
        env.sandbox,
        "moodle",
        "Connector course",
        learners=3,
        tas=0,
        columns=(("Quiz 1", 10.0),),
        score_fraction=0,
    )
    seed.add_activity(env.sandbox, "moodle", course.course_id, "Essay 1", maximum=100.0)
    seed.set_web_services(env.sandbox, "moodle", rest_enabled=True)
    token = seed.create_ws_token(env.sandbox, "moodle")
    learner = course.learner_logins[0]

    # The admin turns the connector on for the Moodle registration.
    enable_moodle_connector(chromium_context, env, token)

    # The instructor designs a badge and sets its criterion on the native column.
    _shot, tool = _open_tool(
        chromium_context, env, "moodle", course.course_id, course.teacher_login
    )
    live_badge_on_column(tool, "Essayist", "Essay 1 (out of 100) · Moodle gradebook", "80")

    # In Moodle's gradebook the teacher grades the essay 85/100.
    grade_in_lms(chromium_context, env, "moodle", course, "Essay 1 (/100.0)", learner, "85")

    # Check now: the native grade meets the criterion and the badge is awarded.
    tool.get_by_role("link", name=re.compile("All badges and awards")).click()
    sources = tool.locator('[data-testid="column-source"]').all_inner_texts()
    assert "Moodle gradebook" in sources
    tool.locator('[data-testid="check-now"]').click()
    status = _text(tool, "job-status")
    assert "1 badge awarded" in status, status
    row = tool.locator('[data-testid="badges"] tr', has_text="Essayist")
    assert row.locator('[data-testid="awarded-count"]').inner_text() == "1"
