"""Screenshots of the tool's pages for a person to look at (``/tmp/polish-shots``, or
``POLISH_SHOTS``): the page inside the LMS frame is opened on its own (its URL carries the
launch token) and shot whole at a desktop width and at an LMS frame width."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

SHOTS = Path(os.environ.get("POLISH_SHOTS", "/tmp/polish-shots"))
WIDTHS = (1366, 800)


def save_shot(page, path: Path, *, full_page: bool = False) -> None:
    """Save a screenshot for a person to look at. A screenshot is an artifact, not a check: a
    slow machine must not fail a test, so a timeout is a warning."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    path.parent.mkdir(parents=True, exist_ok=True)
    # A page behind a popup it opened is a background tab: Chromium draws no frame for it, and
    # the capture waits out its whole timeout (a minute per shot, four shots a run).
    page.bring_to_front()
    try:
        page.screenshot(path=str(path), full_page=full_page, timeout=60_000)
    except PlaywrightTimeout:
        warnings.warn(f"screenshot {path.name} timed out; not saved", stacklevel=2)


def shoot(context, url: str, name: str, widths: tuple[int, ...] = WIDTHS) -> None:
    """Open ``url`` in a new page and save a full-page shot per width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    try:
        page.goto(url)
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            save_shot(page, SHOTS / f"{name}-{width}.png", full_page=True)
    finally:
        page.close()


def frame_url(page) -> str:
    """The URL of the tool's page inside the LMS frame of ``page``."""
    return page.locator("iframe.tool-frame").element_handle().content_frame().url


def settle(page, quiet_ms: int = 300, timeout_ms: int = 10_000) -> None:
    """Wait until the LMS page's tool frame has stopped moving (the tool asked the LMS to
    fit it to a new page; a shorter page can scroll the LMS page), so a click lands where it
    was aimed."""
    page.wait_for_function(
        """([quiet]) => {
        const frame = document.querySelector("iframe.tool-frame");
        if (!frame) { return true; }
        const box = frame.getBoundingClientRect(), now = Date.now();
        const h = box.height + "," + box.top;
        if (window.__bbHeight !== h) { window.__bbHeight = h; window.__bbSince = now; }
        return now - window.__bbSince >= quiet;
    }""",
        arg=[quiet_ms],
        polling=100,
        timeout=timeout_ms,
    )
    # Headless Chromium hit-tests a cross-site frame by the last frame it drew: draw one.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def publish_clear_writer(tool, column: str, *, wait: int = 60_000) -> None:
    """In the tool's designer (staff): save the "Clear writer" badge, read the gradebook, ask
    for at least 1 % in ``column`` and publish with automatic awards, by clicking; waits until
    the first award is made."""
    tool.locator("#badge-name").fill("Clear writer")
    tool.locator("#badge-description").fill("Writes clear, well-argued essays.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="open-badge-page"]').click()
    enable_on_column(tool, column, "1", wait=wait)
    tool.locator('[data-testid="job-status"]', has_text="1 badge awarded").wait_for(timeout=wait)


def enable_on_column(tool, column: str | int, percent: str, *, wait: int = 60_000) -> None:
    """On a badge's page (staff), by clicking: read the gradebook (Check now), ask for
    ``percent`` % in ``column`` (its label in the builder, or its place in the list), save the
    criteria and, once the page says they are saved, enable automatic awards."""
    tool.locator('[data-testid="check-now"]').click()
    tool.locator('[data-testid="job-status"]', has_text="Gradebook checked").wait_for(timeout=wait)
    if isinstance(column, int):
        tool.locator("#rule-column").select_option(index=column)
    else:
        tool.locator("#rule-column").select_option(label=column)
    tool.locator("#rule-threshold").fill(percent)
    tool.locator('[data-testid="save-rule"]').click()
    # The save reloads the page: a click before that lands on the page being replaced.
    tool.locator('[data-testid="note"]', has_text="Criteria saved.").wait_for(timeout=wait)
    tool.locator('[data-testid="enable"]').click()


def save_careful_reader(context, env) -> tuple:
    """As the instructor of the Canvas-like demo course: open the tool in its iframe and save
    the "Careful Reader" badge design. Returns (the LMS page, the tool's frame)."""
    from tests.support.lti_env import course_of, login_of

    course_id, _title, _people = course_of(env, "canvas")
    page, frame = open_canvas_tool(context, env, course_id, login_of(env, "canvas", "#Instructor"))
    frame.locator('[data-testid="open-designer"]').click(timeout=60_000)
    frame.get_by_label("Name", exact=True).fill("Careful Reader")
    frame.locator("#badge-description").fill("Reads every question twice.")
    frame.locator("#save-design").click()
    frame.locator('[data-testid="save-result"]').filter(has_text="artwork version 1").wait_for(
        timeout=60_000
    )
    return page, frame


def open_canvas_tool(context, env, course_id: int, login: str):
    """Open a Canvas-like sandbox course as ``login`` (1366 px wide) and click the tool's
    activity. Returns (the LMS page, the tool's frame)."""
    from lti.sandbox.seed import course_url

    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(course_url(env.sandbox, "canvas", course_id, login))
    page.get_by_role("link", name="Badgebridge").first.click()
    return page, page.frame_locator("iframe.tool-frame")


def enable_moodle_connector(context, env, token: str) -> None:
    """As the tool's admin (console): turn the Moodle connector on for the sandbox's Moodle
    registration with the web-service ``token``, by clicking."""
    from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD

    console = context.new_page()
    console.goto(env.tool_url + "/admin/login")
    console.get_by_label("Email").fill(ADMIN_EMAIL)
    console.get_by_label("Password").fill(ADMIN_PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_role("link", name="moodle", exact=True).click()
    console.get_by_role("link", name="Gradebook connector").click()
    console.get_by_label("Site URL").fill(f"{env.sandbox_url}/moodle")
    console.get_by_label("Token", exact=True).fill(token)
    console.get_by_role("button", name="Save connector").click()
    console.get_by_text("Gradebook connector saved").wait_for(timeout=60_000)
    assert token not in console.content()
    console.close()


def live_badge_on_column(tool, name: str, column: str, percent: str, *, wait: int = 60_000) -> None:
    """As staff in the tool, by clicking: design and save badge ``name``, open its page, read
    the gradebook (Check now), ask for ``percent`` % in ``column`` (its label in the builder)
    and make it live."""
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill(name)
    tool.locator("#badge-description").fill(f"At least {percent} % in {column}.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="save-result"]').filter(has_text="artwork version 1").wait_for(
        timeout=wait
    )
    tool.locator('[data-testid="open-badge-page"]').click(timeout=wait)
    enable_on_column(tool, column, percent, wait=wait)
    tool.locator('[data-testid="badge-state"]', has_text="Live").wait_for(timeout=wait)


def grade_in_lms(context, env, flavour: str, course, item: str, learner: str, score: str) -> None:
    """As the course's teacher in the sandbox LMS's gradebook page: grade ``learner`` in the
    native ``item`` (its label there, e.g. "Essay 1 (/100.0)")."""
    from lti.sandbox.seed import course_url

    lms = context.new_page()
    lms.goto(course_url(env.sandbox, flavour, course.course_id, course.teacher_login))
    lms.get_by_role("link", name="Gradebook").click()
    lms.locator('select[name="line_item"]').select_option(label=item)
    lms.locator('input[name="learner"]').fill(learner)
    lms.locator('input[name="score"]').fill(score)
    lms.get_by_role("button", name="Save grade").click()
    assert "Saved" in lms.get_by_role("status").inner_text()
    lms.close()


def wait_or_say_what_shows(frame, locator, what: str, *, wait: int = 60_000) -> None:
    """Wait for ``locator`` in the tool's ``frame``; if it never shows, fail saying what the
    frame shows instead (failures seen only in loaded full runs need the page, not a timeout)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        locator.wait_for(timeout=wait)
    except PlaywrightTimeoutError:
        # The frames the browser reports too: a Canvas journey's tool frame changes process
        # several times (LMS, tool, LMS, tool), and a page the server served may not be the
        # one the locator reads. Each reading is bounded: a frame that cannot be read says so.
        frames = [f.url[:120] for f in locator.page.frames]
        try:
            shown = frame.locator("html").evaluate(
                "(html) => `${location.href}\\nlang=${html.lang}\\n`"
                " + html.querySelector('body').innerText",
                timeout=5_000,
            )
        except PlaywrightError as exc:
            shown = f"(the frame could not be read: {str(exc).splitlines()[0]})"
        message = f"{what}; frames: {frames}; the frame shows:\n{shown[:2000]}"
        raise AssertionError(message) from None
