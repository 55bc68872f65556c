"""Canvas end to end by clicks: an admin enters the Canvas API developer key in the console;
the instructor authorizes the course on Canvas's consent page (a new window), picks the
native "Essay 1 · Canvas gradebook" column, the teacher grades the essay in the sandbox's
Canvas gradebook, Check now awards the badge. The tool's database starts empty; the sandbox's
side (an assignment, a developer key with enforced scopes) is the Canvas admin's."""

from __future__ import annotations

import re

import pytest

from tests.browser.shots import (
    SHOTS,
    frame_url,
    grade_in_lms,
    live_badge_on_column,
    open_canvas_tool,
    save_shot,
    shoot,
)
from tests.browser.test_instructor_loop import WAIT, _text
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_admin_adds_the_key_instructor_authorizes_and_a_canvas_grade_awards_a_badge(
    registered, admin_user, chromium_context
):
    from app.connectors.canvas_oauth import SCOPES
    from lti.sandbox import seed

    env = registered
    course = seed.create_course(
        env.sandbox,
        "canvas",
        "Canvas connector course",
        learners=3,
        tas=0,
        columns=(("Quiz 1", 10.0),),
        score_fraction=0,
    )
    seed.add_column(env.sandbox, "canvas", course.course_id, "Essay 1", 100.0)
    callback = f"{env.tool_url}/connectors/canvas/callback"
    client_id, secret = seed.create_developer_key(
        env.sandbox, "canvas", callback, scopes=SCOPES, require_scopes=True
    )
    learner = course.learner_logins[0]

    # The admin enters the developer key for the Canvas registration.
    console = chromium_context.new_page()
    console.goto(env.tool_url + "/admin/login")
    console.get_by_label("Email").fill(ADMIN_EMAIL)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_role("link", name="canvas", exact=True).click()
    console.get_by_role("link", name="Gradebook connector").click()
    assert console.locator('[data-testid="redirect-uri"]').inner_text() == callback
    console.get_by_label("LMS", exact=True).select_option(label="Canvas (REST API)")
    console.get_by_label("Site URL").fill(f"{env.sandbox_url}/canvas")
    console.get_by_label(re.compile("^Canvas OAuth 2")).check()
    console.get_by_label("Client ID").fill(client_id)
    console.get_by_label("Client secret").fill(secret)
    console.get_by_label("The key enforces scopes").check()
    console.get_by_role("button", name="Save connector").click()
    console.get_by_text("Gradebook connector saved").wait_for(timeout=WAIT)
    assert secret not in console.content()
    save_shot(console, SHOTS / "canvas-connector-console.png", full_page=True)

    # The instructor authorizes the course once, on Canvas's own page in a new window.
    teacher, tool = open_canvas_tool(chromium_context, env, course.course_id, course.teacher_login)
    card = tool.locator('[data-testid="canvas-oauth"]')
    assert "needs your permission" in card.inner_text(timeout=WAIT)
    with chromium_context.expect_page() as opened:
        tool.locator('[data-testid="authorize-canvas"]').click()
    consent = opened.value
    consent.get_by_role("heading", name=re.compile("is requesting access")).wait_for(timeout=WAIT)
    assert "url:GET|/api/v1/courses/:course_id/students/submissions" in consent.content()
    save_shot(consent, SHOTS / "canvas-oauth-consent.png", full_page=True)
    consent.get_by_role("button", name="Authorize").click()
    result = consent.locator('[data-testid="canvas-oauth-result"]')
    assert "may now read the Canvas gradebook" in result.inner_text(timeout=WAIT)
    save_shot(consent, SHOTS / "canvas-oauth-authorized.png", full_page=True)
    consent.close()
    # Back in the course (opened afresh: headless Chromium misses clicks in a cross-site
    # frame whose page lost focus to a popup), the card says who authorized.
    teacher.close()
    teacher, tool = open_canvas_tool(chromium_context, env, course.course_id, course.teacher_login)
    assert "Authorized by" in tool.locator('[data-testid="canvas-oauth"]').inner_text(timeout=WAIT)

    # The instructor designs a badge on the native Essay 1 column.
    live_badge_on_column(tool, "Canvas essayist", "Essay 1 (out of 100) · Canvas gradebook", "80")

    # In Canvas's gradebook the teacher grades the essay 85/100.
    grade_in_lms(chromium_context, env, "canvas", course, "Essay 1 (/100.0)", learner, "85")

    # Check now: the native grade meets the criterion and the badge is awarded.
    tool.get_by_role("link", name=re.compile("All badges and awards")).click()
    tool.locator('[data-testid="badges"]').wait_for(timeout=WAIT)
    assert "Canvas gradebook" in tool.locator('[data-testid="column-source"]').all_inner_texts()
    tool.locator('[data-testid="check-now"]').click()
    status = _text(tool, "job-status")
    assert "1 badge awarded" in status, status
    row = tool.locator('[data-testid="badges"] tr', has_text="Canvas essayist")
    assert row.locator('[data-testid="awarded-count"]').inner_text() == "1"
    shoot(chromium_context, frame_url(teacher), "canvas-connector-awards")

    # The course page's Canvas card (authorized, by whom): looked at, and audited with axe.
    tool.get_by_role("link", name="Back to the course page").first.click()
    tool.locator('[data-testid="canvas-oauth-state"]').wait_for(timeout=WAIT)
    from tests.browser.test_accessibility import AXE, _audit

    if AXE.exists():
        found = _audit(chromium_context, frame_url(teacher), "canvas-staff-authorized")
        assert found == [], "\n".join(found)
