"""A real browser opens the sandbox course page; the tool launches inside the iframe."""

from __future__ import annotations

import pytest

from tests.browser.shots import SHOTS, save_shot
from tests.support.lti_env import course_of, login_of

pytestmark = pytest.mark.browser


def _course_page(env, slug: str, role: str) -> str:
    from lti.sandbox.seed import course_url

    course_id, _title, _people = course_of(env, slug)
    return course_url(env.sandbox, slug, course_id, login_of(env, slug, role))


def _open_activity(context, course_page: str):
    """Open the course page and click the tool's activity, as a teacher would."""
    page = context.new_page()
    page.goto(course_page)
    page.get_by_role("link", name="Badgebridge").first.click()
    return page


def test_staff_page_loads_in_canvas_iframe_without_third_party_cookies(
    registered, chromium_context
):
    page = _open_activity(chromium_context, _course_page(registered, "canvas", "#Instructor"))
    frame = page.frame_locator("iframe.tool-frame")
    role = frame.locator('[data-testid="role"]')
    role.wait_for(timeout=60_000)
    assert role.inner_text() == "Staff"
    _cid, title, _people = course_of(registered, "canvas")
    assert title in frame.locator('[data-testid="course-title"]').inner_text()
    # The tool really ran without its cookies: none were stored for its (third-party) site.
    assert chromium_context.cookies(registered.tool_url) == []


def test_moodle_iframe_without_platform_storage_offers_a_new_window(registered, chromium_context):
    page = _open_activity(chromium_context, _course_page(registered, "moodle", "#Instructor"))
    frame = page.frame_locator("iframe.tool-frame")
    link = frame.locator("#lti1p3-new-tab-link")
    link.wait_for(timeout=60_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_shot(page, SHOTS / "moodle-cookies-blocked.png")
    with chromium_context.expect_page() as popup_info:
        link.click()
    popup = popup_info.value
    popup.locator('[data-testid="role"]').wait_for(timeout=60_000)
    assert popup.locator('[data-testid="role"]').inner_text() == "Staff"
    # The in-course page no longer offers the window: it says the tool is open there.
    frame.locator(
        '[data-testid="new-window-opened"]', has_text="is open in its own window"
    ).wait_for(timeout=60_000)
    assert not frame.locator("#lti1p3-warning-msg").is_visible()
    assert frame.locator(".brand").inner_text() == "Badgebridge"
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_shot(page, SHOTS / "moodle-new-window-opened.png")
