"""The admin console as an LMS admin uses it, at a 1366 px laptop width: the tool's root URL
leads there; the registrations table fits without sideways scrolling; Disable asks first; a
webhook subscription survives a reload without a duplicate; keyboard focus is visible with
enough contrast. Screenshots go to ``/tmp/polish-shots``."""

from __future__ import annotations

import pytest

from tests.browser.shots import SHOTS, save_shot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_console_fits_a_laptop_and_subscribing_twice_is_one_subscription(
    registered, chromium_context, runner
):
    result = runner.invoke(
        args=["admin", "create-user", "--email", "ops@example.edu", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = chromium_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(registered.tool_url + "/")
    assert page.locator("h1").inner_text() == "Badgebridge"
    save_shot(page, SHOTS / "landing-1366.png", full_page=True)
    icon = page.request.get(registered.tool_url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    page.get_by_role("link", name="admin console").click()
    page.get_by_label("Email").fill("ops@example.edu")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text="LMS registrations").wait_for()

    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    table = page.locator("table").first
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    save_shot(page, SHOTS / "admin-registrations-1366.png", full_page=True)

    # Keyboard focus: a ring of at least 3:1 against the page.
    page.locator("body").press("Tab")
    focused = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }""")
    assert focused[0] == "solid" and float(focused[1].rstrip("px")) >= 2
    assert _contrast(focused[2], "rgb(255, 255, 255)") >= 3

    # Disable is destructive: it asks before it acts.
    disable = page.get_by_role("button", name="Disable canvas")
    assert not disable.is_visible()
    page.get_by_text("Disable…").first.click()
    assert disable.is_visible()
    assert disable.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(164, 0, 15)"
    save_shot(page, SHOTS / "admin-disable-confirm-1366.png", full_page=True)

    page.get_by_role("link", name="Analytics and webhooks").click()
    page.get_by_role("link", name="Webhooks of canvas").click()
    page.get_by_label("Receiver URL (http or https)").fill(registered.tool_url + "/receiver")
    page.get_by_role("button", name="Subscribe").click()
    page.locator('[data-testid="webhook-secret"]').wait_for()
    page.reload()  # a GET after the redirect: nothing is sent again
    page.locator("h1", has_text="Webhooks").wait_for()
    assert page.locator('[data-testid="webhook-secret"]').count() == 0
    rows = page.locator("section[aria-labelledby=subs-title] tbody tr")
    assert rows.count() == 1
    save_shot(page, SHOTS / "admin-webhooks-1366.png", full_page=True)
