"""Trust in a real browser: roles from the course only, and sessions that end with their
registration. Everything is reached by clicking, from a sandbox launch inside the iframe."""

from __future__ import annotations

import pytest

from tests.support.lti_env import course_of, login_of

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _open_activity(context, env, slug: str, course_id: int, login: str):
    from lti.sandbox.seed import course_url

    page = context.new_page()
    page.goto(course_url(env.sandbox, slug, course_id, login))
    page.get_by_role("link", name="Badgebridge").first.click()
    return page, page.frame_locator("iframe.tool-frame")


def test_a_learner_who_teaches_elsewhere_is_a_learner_here(registered, chromium_context):
    from lti.sandbox import seed

    seminar = seed.create_course(
        registered.sandbox,
        "canvas",
        "Seminar in Logic",
        learners=1,
        tas=0,
        columns=(("Essay", 10.0),),
    )
    tutoring = seed.create_course(
        registered.sandbox,
        "canvas",
        "Peer Mentoring",
        learners=0,
        tas=0,
        columns=(("Attendance", 1.0),),
    )
    learner = seminar.learner_logins[0]
    seed.enroll(registered.sandbox, "canvas", tutoring.course_id, learner, "teacher")

    _page, frame = _open_activity(
        chromium_context, registered, "canvas", seminar.course_id, learner
    )
    role = frame.locator('[data-testid="role"]')
    role.wait_for(timeout=60_000)
    assert role.inner_text() == "Learner"
    assert frame.locator('[data-testid="open-designer"]').count() == 0


def test_disabling_the_registration_ends_the_open_session(registered, chromium_context, runner):
    result = runner.invoke(
        args=["admin", "create-user", "--email", "ops@example.edu", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    course_id, _title, _people = course_of(registered, "canvas")
    _page, frame = _open_activity(
        chromium_context,
        registered,
        "canvas",
        course_id,
        login_of(registered, "canvas", "#Instructor"),
    )
    frame.locator('[data-testid="role"]').wait_for(timeout=60_000)

    console = chromium_context.new_page()
    console.goto(registered.tool_url + "/admin/login")
    console.get_by_label("Email").fill("ops@example.edu")
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_text("Disable…").first.click()  # a destructive action asks first
    console.get_by_role("button", name="Disable canvas").click()
    console.get_by_text("disabled").first.wait_for(timeout=60_000)

    # The instructor, still on the tool's page in the course, clicks on: refused at once.
    frame.locator('[data-testid="open-designer"]').click()
    refused = frame.get_by_role("alert")
    refused.wait_for(timeout=60_000)
    assert "has been disabled" in refused.inner_text()
    assert "registration_disabled" in refused.inner_text()
