"""An automated accessibility audit with axe-core (the npm package pinned in
``tests/browser/package.json``; ``make test-deps`` installs it) of the main pages, each reached
by clicking from a sandbox launch: the staff course page, the designer, a badge's page, the
awards page, the learner's page, the public verification page (valid, revoked and "not found"),
the learner's profile settings and public profile, the Moodle new-window ("cookies blocked")
page inside the course, the landing page and the admin console (login, registrations,
analytics, webhooks).
No violation of impact "serious" or "critical" is allowed, at a phone width and a laptop width.

axe is injected through Playwright's ``evaluate`` (the DevTools protocol, which the pages'
nonce-based Content-Security-Policy does not govern), so the audited pages keep their real
policy. Screenshots of each audited page at 360 px and 1366 px go to ``/tmp/a11y-shots``
(``A11Y_SHOTS`` moves them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.shots import (
    frame_url,
    open_canvas_tool,
    publish_clear_writer,
    save_shot,
    wait_or_say_what_shows,
)

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not AXE.exists(),
        reason="axe-core is not installed: run `make test-deps` (npm ci in tests/browser)",
    ),
]
SHOTS = Path(os.environ.get("A11Y_SHOTS", "/tmp/a11y-shots"))
WIDTHS = (360, 1366)
WAIT = 60_000
PASSWORD = "correct horse battery staple"
# The innermost elements reaching past the viewport's right edge, when the page scrolls sideways.
WIDER_THAN_VIEWPORT = """() => {
    if (document.documentElement.scrollWidth <= window.innerWidth + 1) { return []; }
    const past = [...document.body.querySelectorAll("*")].filter(
        e => e.checkVisibility() && e.getBoundingClientRect().right > window.innerWidth + 1);
    return past.filter(e => !past.some(c => c !== e && e.contains(c))).slice(0, 5).map(
        e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
             + (e.className && typeof e.className === "string" ? "." + e.className : ""));
}"""


def _serious_violations(page) -> list[str]:
    """Run axe on ``page``; one line per serious or critical violation and element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))}: {v['help']}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def _audit(context, url: str, name: str) -> list[str]:
    """Open ``url`` on its own page, shoot it and audit it at each width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    found: list[str] = []
    try:
        page.goto(url)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            save_shot(page, SHOTS / f"{name}-{width}.png", full_page=True)
            found += [f"{name} @{width}px: {line}" for line in _serious_violations(page)]
            # Reflow (WCAG 1.4.10), which axe does not check: no sideways scrolling of the page.
            wide = page.evaluate(WIDER_THAN_VIEWPORT)
            if wide:
                found.append(f"{name} @{width}px: the page scrolls sideways: {', '.join(wide)}")
    finally:
        page.close()
    return found


def test_every_main_page_has_no_serious_accessibility_violation(
    registered, chromium_context, runner
):

    from lti.sandbox.seed import create_course

    found: list[str] = []
    course = create_course(
        registered.sandbox,
        "canvas",
        "Audit course",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    teacher, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="role"]').wait_for(timeout=WAIT)

    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").wait_for(timeout=WAIT)
    found += _audit(chromium_context, frame_url(teacher), "designer")
    publish_clear_writer(tool, "Essay (out of 100)", wait=WAIT)
    found += _audit(chromium_context, frame_url(teacher), "badge-page")
    tool.get_by_role("link", name="All badges and awards").first.click()
    tool.locator('[data-testid="badges"]').wait_for(timeout=WAIT)
    found += _audit(chromium_context, frame_url(teacher), "awards")
    tool.get_by_role("link", name="Back to the course page").first.click()
    tool.locator('[data-testid="course-badges"]').wait_for(timeout=WAIT)
    found += _audit(chromium_context, frame_url(teacher), "staff-course")

    learner, mine = open_canvas_tool(
        chromium_context, registered, course.course_id, course.learner_logins[0]
    )
    # Seen twice in full SQLite runs, never alone: a failure says what the learner got instead.
    wait_or_say_what_shows(
        mine,
        mine.locator('[data-testid="earned-badge"]'),
        "the learner's page shows no earned badge",
        wait=WAIT,
    )
    found += _audit(chromium_context, frame_url(learner), "learner")
    with chromium_context.expect_page() as opened:
        mine.locator('[data-testid="public-page"]').click()
    public = opened.value
    public.wait_for_load_state()
    found += _audit(chromium_context, public.url, "verification")
    found += _audit(
        chromium_context, public.url.rsplit("/", 1)[0] + "/no-such-badge", "verification-404"
    )

    result = runner.invoke(
        args=["admin", "create-user", "--email", "a11y@example.edu", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    landing = chromium_context.new_page()
    landing.goto(registered.tool_url + "/")
    found += _audit(chromium_context, landing.url, "landing")
    landing.get_by_role("link", name="admin console").click()
    landing.get_by_label("Email").wait_for(timeout=WAIT)
    found += _audit(chromium_context, landing.url, "admin-login")
    landing.get_by_label("Email").fill("a11y@example.edu")
    landing.get_by_label("Password").fill(PASSWORD)
    landing.get_by_role("button", name="Sign in").click()
    landing.locator("h1", has_text="LMS registrations").wait_for(timeout=WAIT)
    found += _audit(chromium_context, landing.url, "admin-registrations")
    landing.get_by_role("link", name="Analytics and webhooks").click()
    landing.get_by_role("link", name="Webhooks of canvas").wait_for(timeout=WAIT)
    found += _audit(chromium_context, landing.url, "admin-analytics")
    landing.get_by_role("link", name="Webhooks of canvas").click()
    landing.get_by_label("Receiver URL (http or https)").wait_for(timeout=WAIT)
    found += _audit(chromium_context, landing.url, "admin-webhooks")

    assert found == [], "serious or critical accessibility violations:\n" + "\n".join(found)


def _audit_frame(page, name: str) -> list[str]:
    """Audit the tool's page where it is, inside the LMS frame (the Moodle new-window page
    lives only there: reopened on its own it would be another launch)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        save_shot(page, SHOTS / f"{name}-{width}.png", full_page=True)
        frame = page.locator("iframe.tool-frame").element_handle().content_frame()
        found += [f"{name} @{width}px: {line}" for line in _serious_violations(frame)]
    return found


def test_profile_revoked_page_and_moodle_new_window_have_no_serious_violation(
    registered, chromium_context
):
    from lti.sandbox.seed import course_url, create_course
    from tests.support.lti_env import course_of, login_of

    found: list[str] = []
    course = create_course(
        registered.sandbox,
        "canvas",
        "Profile audit course",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    _teacher, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="open-designer"]').click(timeout=WAIT)
    publish_clear_writer(tool, "Essay (out of 100)", wait=WAIT)

    # The learner turns the profile on from My badges, choosing the badge.
    learner, mine = open_canvas_tool(
        chromium_context, registered, course.course_id, course.learner_logins[0]
    )
    mine.locator('[data-testid="my-profile"]').click(timeout=WAIT)
    mine.get_by_label("Show my public profile page").check()
    mine.get_by_label("Clear writer (Profile audit course)").check()
    mine.locator('[data-testid="save-profile"]').click()
    mine.locator('[data-testid="profile-saved"]').wait_for(timeout=WAIT)
    found += _audit(chromium_context, frame_url(learner), "profile-settings")
    profile_url = mine.locator('[data-testid="profile-url"]').get_attribute("href")
    profile = chromium_context.new_page()
    profile.goto(profile_url)
    assert profile.locator('[data-testid="profile-badge"]').count() == 1
    verify_url = profile.get_by_role("link", name="Verify Clear writer").get_attribute("href")
    found += _audit(chromium_context, profile_url, "profile-public")

    # The instructor revokes the award: the public page turns red; the profile drops it.
    tool.locator('[data-testid="revoke-open"]').click()
    tool.locator('input[name="reason"]').last.fill("Issued by mistake")
    tool.locator('[data-testid="revoke"]').click()
    tool.locator('[data-testid="note"]', has_text="Badge revoked").wait_for(timeout=WAIT)
    found += _audit(chromium_context, verify_url, "verification-revoked")
    profile.reload()
    profile.locator('[data-testid="profile-empty"]').wait_for(timeout=WAIT)

    # Moodle without platform storage: the branded "cookies blocked" page, then "opened".
    course_id, _title, _people = course_of(registered, "moodle")
    moodle = chromium_context.new_page()
    moodle.goto(
        course_url(
            registered.sandbox, "moodle", course_id, login_of(registered, "moodle", "#Instructor")
        )
    )
    moodle.get_by_role("link", name="Badgebridge").first.click()
    frame = moodle.frame_locator("iframe.tool-frame")
    frame.locator("#lti1p3-new-tab-link").wait_for(timeout=WAIT)
    found += _audit_frame(moodle, "moodle-new-window")
    with chromium_context.expect_page() as popup:
        frame.locator("#lti1p3-new-tab-link").click()
    popup.value.locator('[data-testid="role"]').wait_for(timeout=WAIT)
    frame.locator('[data-testid="new-window-opened"]').wait_for(timeout=WAIT)
    found += _audit_frame(moodle, "moodle-new-window-opened")

    assert found == [], "serious or critical accessibility violations:\n" + "\n".join(found)
