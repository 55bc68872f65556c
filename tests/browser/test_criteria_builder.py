"""From a sandbox launch, an instructor builds a two-column rule with the keyboard only,
reads it back in words, previews who qualifies, saves it, and finds the same rule in the
advanced JSON editor (columns named by title). A wrong preview says so without "Not saved".

Screenshots at 1366 px and at an LMS frame width go to ``/tmp/polish-shots``.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.shots import frame_url, shoot

pytestmark = pytest.mark.browser

WAIT = 60_000


def _focus(page, tool, selector: str, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` of the tool's frame has the focus."""
    for _ in range(limit):
        if tool.locator(selector).evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_an_instructor_builds_a_rule_with_the_keyboard(registered, chromium_context):
    from app.extensions import db
    from app.grades.models import Column
    from app.openbadges.models import Badge
    from lti.sandbox.seed import course_url, create_course

    course = create_course(
        registered.sandbox,
        "canvas",
        "Builder course",
        learners=4,
        tas=0,
        columns=(("Essay", 100.0), ("Lab", 20.0)),
        score_fraction=1.0,
    )
    page = chromium_context.new_page()
    # Tall enough for the whole frame: it grows to fit the page (lti.frameResize), and a
    # click cannot scroll the LMS page from inside a cross-site frame.
    page.set_viewport_size({"width": 1366, "height": 3200})
    page.goto(course_url(registered.sandbox, "canvas", course.course_id, course.teacher_login))
    page.get_by_role("link", name="Badgebridge").first.click()
    tool = page.frame_locator("iframe.tool-frame")
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill("Lab and essay")
    tool.locator("#badge-description").fill("Good marks in the essay and the lab.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="open-badge-page"]').click()
    tool.locator('[data-testid="check-now"]').click()
    tool.locator('[data-testid="job-status"]', has_text="Gradebook checked").wait_for(timeout=WAIT)

    # Keyboard only from here: Tab to each field, type, choose with the arrow keys.
    tool.locator("h1").click()  # a click on text only places the starting point
    _focus(page, tool, "#rule-column")
    page.keyboard.type("Essay")  # a closed select picks the option that starts so
    _focus(page, tool, "#rule-threshold")
    page.keyboard.type("50")
    _focus(page, tool, "#rule-column-2")
    page.keyboard.type("Lab")
    _focus(page, tool, "#rule-threshold-2")
    page.keyboard.type("5")
    page.keyboard.press("Tab")  # the unit of the second row
    page.keyboard.press("ArrowDown")  # points
    _focus(page, tool, 'input[name="combine"][value="all"]')
    page.keyboard.press("ArrowDown")  # "any one of them"
    _focus(page, tool, '[data-testid="preview-rule"]')
    page.keyboard.press("Enter")

    readback = tool.locator('[data-testid="criteria-text"]')
    readback.wait_for(timeout=WAIT)
    assert readback.inner_text() == (
        "This rule reads: Either score at least 50 % in Essay or score at least 5 points in Lab."
    )
    assert tool.locator('[data-testid="preview-summary"]').inner_text().startswith("4 qualify")
    shoot(chromium_context, frame_url(page), "builder-preview")

    # Nothing is saved by a preview; a wrong one says what is wrong, not "Not saved".
    tool.locator("h1").click()
    _focus(page, tool, "#rule-threshold-2")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("many")
    _focus(page, tool, '[data-testid="preview-rule"]')
    page.keyboard.press("Enter")
    error = tool.locator('[data-testid="rule-error"]')
    error.wait_for(timeout=WAIT)
    assert error.inner_text().startswith("Cannot preview: In the second condition")
    _focus(page, tool, "#rule-threshold-2")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("5")
    _focus(page, tool, '[data-testid="save-rule"]')
    page.keyboard.press("Enter")
    tool.locator('[data-testid="note"]', has_text="Criteria saved").wait_for(timeout=WAIT)
    assert tool.locator('[data-testid="criteria-text"]').inner_text().startswith("Earned by:")

    db.session.rollback()
    badge = db.session.query(Badge).filter_by(name="Lab and essay").one()
    ids = {
        c.label: c.public_id
        for c in db.session.query(Column).filter_by(context_id=badge.context_id)
    }
    assert badge.criteria == {
        "any": [
            {"column": ids["Essay"], "min_percent": 50},
            {"column": ids["Lab"], "min_points": 5},
        ]
    }
    tool.locator('[data-testid="advanced-json"] summary').click()
    shown = json.loads(tool.locator("#criteria").input_value())
    assert shown == {
        "any": [{"column": "Essay", "min_percent": 50}, {"column": "Lab", "min_points": 5}]
    }
