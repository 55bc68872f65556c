"""An admin enables the Moodle connector in the console; the instructor sees the native
"Essay 1" column, sets a criterion on it; a grade in the sandbox's Moodle gradebook meets it;
Check now awards the badge. The tool's database starts empty and gets there by clicks only;
the sandbox's side (an assignment, web services on, a web-service token) is the LMS admin's."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_instructor_loop import WAIT, _open_tool, _text
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD

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
    console = chromium_context.new_page()
    console.goto(env.tool_url + "/admin/login")
    console.get_by_label("Email").fill(ADMIN_EMAIL)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_role("link", name="moodle", exact=True).click()
    console.get_by_role("link", name="Gradebook connector").click()
    console.get_by_label("Site URL").fill(f"{env.sandbox_url}/moodle")
    console.get_by_label("Token", exact=True).fill(token)
    console.get_by_role("button", name="Save connector").click()
    console.get_by_text("Gradebook connector saved").wait_for(timeout=WAIT)
    assert token not in console.content()

    # The instructor designs a badge and sets its criterion on the native column.
    _shot, tool = _open_tool(
        chromium_context, env, "moodle", course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill("Essayist")
    tool.locator("#badge-description").fill("At least 80 % in Essay 1.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="open-badge-page"]').click(timeout=WAIT)
    tool.locator('[data-testid="check-now"]').click()
    assert "Gradebook checked" in _text(tool, "job-status")
    tool.locator("#rule-column").select_option(label="Essay 1 (out of 100) · Moodle gradebook")
    tool.locator("#rule-threshold").fill("80")
    tool.locator('[data-testid="save-rule"]').click()
    assert _text(tool, "note") == "Criteria saved."
    tool.locator('[data-testid="enable"]').click()
    assert _text(tool, "badge-state") == "Live"

    # In Moodle's gradebook the teacher grades the essay 85/100.
    from lti.sandbox.seed import course_url

    lms = chromium_context.new_page()
    lms.goto(course_url(env.sandbox, "moodle", course.course_id, course.teacher_login))
    lms.get_by_role("link", name="Gradebook").click()
    lms.locator('select[name="line_item"]').select_option(label="Essay 1 (/100.0)")
    lms.locator('input[name="learner"]').fill(learner)
    lms.locator('input[name="score"]').fill("85")
    lms.get_by_role("button", name="Save grade").click()
    assert "Saved" in lms.get_by_role("status").inner_text()

    # Check now: the native grade meets the criterion and the badge is awarded.
    tool.get_by_role("link", name=re.compile("All badges and awards")).click()
    sources = tool.locator('[data-testid="column-source"]').all_inner_texts()
    assert "Moodle gradebook" in sources
    tool.locator('[data-testid="check-now"]').click()
    status = _text(tool, "job-status")
    assert "1 badge awarded" in status, status
    row = tool.locator('[data-testid="badges"] tr', has_text="Essayist")
    assert row.locator('[data-testid="awarded-count"]').inner_text() == "1"
