"""The README's loop, by clicking only, in both sandbox courses (Canvas-like: the tool in the
iframe; Moodle-like: no platform storage, so the tool opens in a new window):

design a badge → set its criteria → enable automatic awards (which publishes it) → change a
grade in the sandbox's gradebook → Check now → the award appears → the learner launches,
sees it and accepts it.

The tool's database starts empty; nothing but clicks writes a badge, its state or a grade.
The sandbox course is created empty of grades, as a new LMS course is. Screenshots of each
step go to ``/tmp/lifecycle-shots`` (``LIFECYCLE_SHOTS`` moves them).
"""

from __future__ import annotations

import os
import re
from itertools import count
from pathlib import Path

import pytest

from tests.browser.shots import save_shot

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("LIFECYCLE_SHOTS", "/tmp/lifecycle-shots"))
WAIT = 60_000
_COURSES = count(1)


def _shoot(page, slug: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # A page holding the tool's iframe is shot as the viewport (tall enough for the frame):
    # Chromium's full-page capture can stall on a cross-site frame navigated many times.
    framed = page.locator("iframe.tool-frame").count() > 0
    save_shot(page, SHOTS / f"{slug}-{name}.png", full_page=not framed)


def _open_tool(context, env, slug: str, course_id: int, login: str):
    """Open the course page as ``login`` and click the tool's activity. Returns (the page to
    screenshot, where the tool's page is: the iframe, or the Moodle-like new window)."""
    from lti.sandbox.seed import course_url

    page = context.new_page()
    page.set_viewport_size({"width": 1100, "height": 1400})
    page.goto(course_url(env.sandbox, slug, course_id, login))
    page.get_by_role("link", name="Badgebridge").first.click()
    frame = page.frame_locator("iframe.tool-frame")
    if slug == "canvas":
        frame.locator('[data-testid="role"]').wait_for(timeout=WAIT)
        return page, frame
    # Moodle 4.5 offers no platform storage and the browser refuses the tool's cookie in a
    # cross-site frame: the tool offers a new window, as it does in a real Moodle over http.
    link = frame.locator("#lti1p3-new-tab-link")
    link.wait_for(timeout=WAIT)
    with context.expect_page() as popup_info:
        link.click()
    popup = popup_info.value
    popup.set_viewport_size({"width": 1100, "height": 900})
    popup.locator('[data-testid="role"]').wait_for(timeout=WAIT)
    return popup, popup


def _text(tool, testid: str) -> str:
    element = tool.locator(f'[data-testid="{testid}"]').first
    element.wait_for(timeout=WAIT)
    return element.inner_text()


def _shown_after_click(tool, testid: str, expected: str) -> str:
    """The element's text once the page a click asked for shows ``expected`` in it: read at
    once, the page before the click may still be there (its element holds the old text)."""
    element = tool.locator(f'[data-testid="{testid}"]', has_text=expected).first
    element.wait_for(timeout=WAIT)
    return element.inner_text()


@pytest.mark.parametrize("slug", ["canvas", "moodle"])
def test_the_instructor_loop_by_clicking(registered, chromium_context, slug):
    from lti.sandbox.seed import create_course

    course = create_course(
        registered.sandbox,
        slug,
        f"Loop course {slug} {next(_COURSES)}",
        learners=3,
        tas=0,
        columns=(("Quiz 1", 10.0),),
        score_fraction=0,
    )
    learner = course.learner_logins[0]

    # The instructor opens the tool and designs a badge: it is saved as a draft.
    shot, tool = _open_tool(
        chromium_context, registered, slug, course.course_id, course.teacher_login
    )
    assert _text(tool, "role") == "Staff"
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill("Quiz champion")
    tool.locator("#badge-description").fill("Scored at least 90 % in Quiz 1.")
    tool.locator("#save-design").click()
    next_step = tool.locator('[data-testid="open-badge-page"]')
    next_step.wait_for(timeout=WAIT)
    assert "This badge is a draft. Learners do not see it yet." in _text(tool, "save-result")
    _shoot(shot, slug, "01-designed")
    next_step.click()

    # Its page: a draft. The tool has read no column yet, so check the gradebook first.
    assert _text(tool, "badge-state") == "Draft"
    tool.locator('[data-testid="check-now"]').click()
    assert "Gradebook checked" in _shown_after_click(tool, "job-status", "Gradebook checked")
    tool.locator("#rule-column").select_option(label="Quiz 1 (out of 10)")
    tool.locator("#rule-threshold").fill("90")
    tool.locator('[data-testid="save-rule"]').click()
    assert _shown_after_click(tool, "note", "Criteria saved.") == "Criteria saved."
    assert "Score at least 90" in _text(tool, "criteria-text") or "90" in _text(
        tool, "criteria-text"
    )
    # Said before it happens: enabling publishes the badge.
    assert "publishes this badge" in _text(tool, "publish-warning")
    _shoot(shot, slug, "02-criteria-draft")
    tool.locator('[data-testid="enable"]').click()
    assert _shown_after_click(tool, "badge-state", "Live") == "Live"
    assert "Published, with automatic awards on" in _text(tool, "note")
    assert "0 badges awarded" in _text(tool, "job-status")
    _shoot(shot, slug, "03-published")

    # In the LMS: the teacher gives the learner 10/10 in the gradebook.
    from lti.sandbox.seed import course_url

    lms = chromium_context.new_page()
    lms.goto(course_url(registered.sandbox, slug, course.course_id, course.teacher_login))
    lms.get_by_role("link", name="Gradebook").click()
    lms.locator('select[name="line_item"]').select_option(label="Quiz 1 (/10.0)")
    lms.locator('input[name="learner"]').fill(learner)
    lms.locator('input[name="score"]').fill("10")
    lms.get_by_role("button", name="Save grade").click()
    assert "Saved" in lms.get_by_role("status").inner_text()
    _shoot(lms, slug, "04-gradebook")

    # Back in the tool: Check now, and the award appears.
    tool.get_by_role("link", name=re.compile("All badges and awards")).click()
    tool.locator('[data-testid="check-now"]').click()
    status = _shown_after_click(tool, "job-status", "badge awarded")
    assert "1 grade changed" in status and "1 badge awarded" in status
    row = tool.locator('[data-testid="badges"] tr', has_text="Quiz champion")
    assert row.locator('[data-testid="awarded-count"]').inner_text() == "1"
    assert row.locator('[data-testid="badge-state"]').inner_text() == "Live"
    _shoot(shot, slug, "05-checked")
    row.scroll_into_view_if_needed()
    _shoot(shot, slug, "05-awarded")
    row.get_by_role("link", name="Quiz champion").click()
    assert "Awarded (1)" in tool.locator("#awarded-h").inner_text()
    tool.get_by_role("link", name=re.compile("All badges and awards")).click()
    tool.get_by_role("link", name=re.compile("Back to the course page")).click()
    assert "Quiz champion" in _text(tool, "course-badges")
    assert _text(tool, "badge-state") == "Live"
    _shoot(shot, slug, "06-course-page")

    # The learner launches, sees the badge and accepts it.
    learner_shot, learner_tool = _open_tool(
        chromium_context, registered, slug, course.course_id, learner
    )
    assert _text(learner_tool, "role") == "Learner"
    assert "Quiz champion" in _text(learner_tool, "earned-badge")
    _shoot(learner_shot, slug, "07-learner")
    learner_tool.locator('[data-testid="accept"]').click()
    assert "accepted" in _text(learner_tool, "notice").lower()
    _shoot(learner_shot, slug, "08-accepted")
