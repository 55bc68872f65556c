"""From a Moodle sandbox launch (an empty tool database; the admin turns the Moodle connector
on in the console), an instructor builds, with the keyboard only, a rule of an average over
two native essays AND a native activity completed; reads it back in words, previews, saves,
finds the same rule in the advanced JSON editor (columns by title). Then, in the sandbox, the
teacher grades the essays in the gradebook and marks the activity complete for one learner;
Check now awards that learner the badge.

Screenshots of the badge page and of a learner's progress at 360 and 1366 px go to
``/tmp/polish-shots``.
"""

from __future__ import annotations

import json

import pytest

from tests.browser.shots import SHOTS, enable_moodle_connector, save_shot
from tests.browser.test_accessibility import AXE, _audit
from tests.browser.test_instructor_loop import WAIT, _open_tool, _text

pytestmark = pytest.mark.browser


def _focus(page, selector: str, limit: int = 120) -> None:
    """Press Tab until ``selector`` has the focus (the keyboard is the only way in)."""
    for _ in range(limit):
        if page.locator(selector).evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with Tab")


def _add_row(tool, kind_label: str) -> None:
    """Choose a row kind in "Add a condition" and press Add, by keyboard."""
    tool.locator("h1").click()  # a click on text only places the starting point
    _focus(tool, "#rule-new-row")
    tool.keyboard.type(kind_label)  # a closed select picks the option that starts so
    _focus(tool, '[data-testid="add-row"]')
    tool.keyboard.press("Enter")
    tool.wait_for_load_state()


def _tick(tool, label: str) -> None:
    """Tab to the checkbox named ``label`` and tick it with the space bar."""
    box = tool.get_by_label(label, exact=True)
    box_id = box.get_attribute("id")
    _focus(tool, f"#{box_id}")
    tool.keyboard.press("Space")
    assert box.is_checked()


def test_an_average_and_a_completion_rule_by_keyboard_then_a_badge(
    registered, admin_user, chromium_context
):
    from app.extensions import db
    from app.grades.models import Column
    from app.openbadges.models import Badge
    from lti.sandbox import seed

    env = registered
    course = seed.create_course(
        env.sandbox, "moodle", "Completion course", learners=3, tas=0,
        columns=(("Quiz 1", 10.0),), score_fraction=0,
    )  # fmt: skip
    for essay in ("Essay 1", "Essay 2"):
        seed.add_activity(env.sandbox, "moodle", course.course_id, essay, maximum=100.0)
    reading, _ = seed.add_activity(
        env.sandbox, "moodle", course.course_id, "Reading quiz", modname="quiz", maximum=None
    )
    seed.set_web_services(env.sandbox, "moodle", rest_enabled=True)
    enable_moodle_connector(chromium_context, env, seed.create_ws_token(env.sandbox, "moodle"))
    learner, other = course.learner_logins[0], course.learner_logins[1]

    _shot, tool = _open_tool(
        chromium_context, env, "moodle", course.course_id, course.teacher_login
    )
    tool.set_viewport_size({"width": 1366, "height": 900})
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill("Engaged writer")
    tool.locator("#badge-description").fill("Writes well and does the reading.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="open-badge-page"]').click(timeout=WAIT)
    tool.locator('[data-testid="check-now"]').click()
    assert "Gradebook checked" in _text(tool, "job-status")
    tool.reload()  # the page as it is once the columns are read

    # The kinds of row this course's columns allow (Moodle reads a course total).
    assert tool.locator("#rule-new-row option").all_inner_texts() == [
        "Score in one column",
        "Course total at least a percentage",
        "Average of several columns",
        "Total points of several columns",
        "Activities or the course completed",
    ]

    # Keyboard only from here: two new rows, then fill them in.
    _add_row(tool, "Average")
    _add_row(tool, "Activities")
    rows = tool.locator('[data-testid="condition"]')
    assert rows.nth(0).get_attribute("class").endswith("condition-average")
    assert rows.nth(1).get_attribute("class").endswith("condition-completed")
    completions = rows.nth(1).locator("label").all_inner_texts()
    assert [" ".join(t.split()) for t in completions] == [
        "Essay 1 (completed) · Moodle gradebook",
        "Essay 2 (completed) · Moodle gradebook",
        "Reading quiz (completed) · Moodle gradebook",
    ]  # only completion columns; the essays' scores are offered for the average
    scores = [" ".join(t.split()) for t in rows.nth(0).locator("label").all_inner_texts()]
    assert "Essay 1 · Moodle gradebook" in scores and not any("completed" in t for t in scores)
    tool.locator("h1").click()
    _tick(tool, "Essay 1 · Moodle gradebook")
    _tick(tool, "Essay 2 · Moodle gradebook")
    _focus(tool, "#rule-threshold")
    tool.keyboard.type("70")
    _tick(tool, "Reading quiz (completed) · Moodle gradebook")
    _focus(tool, '[data-testid="preview-rule"]')
    tool.keyboard.press("Enter")

    readback = tool.locator('[data-testid="criteria-text"]')
    readback.wait_for(timeout=WAIT)
    assert readback.inner_text() == (
        "This rule reads: Average at least 70 % across Essay 1 and Essay 2 "
        "and complete Reading quiz."
    )
    assert tool.locator('[data-testid="preview-summary"]').inner_text().startswith("0 qualify")
    for width in (1366, 360):
        tool.set_viewport_size({"width": width, "height": 900})
        save_shot(tool, SHOTS / f"builder-completion-preview-{width}.png", full_page=True)
    tool.set_viewport_size({"width": 1366, "height": 900})

    tool.locator("h1").click()
    _focus(tool, '[data-testid="save-rule"]')
    tool.keyboard.press("Enter")
    assert _text(tool, "note") == "Criteria saved."
    assert _text(tool, "criteria-text").startswith("Earned by: Average at least 70 %")

    db.session.rollback()
    badge = db.session.query(Badge).filter_by(name="Engaged writer").one()
    ids = {c.label: c.public_id for c in db.session.query(Column).filter_by(
        context_id=badge.context_id)}  # fmt: skip
    assert badge.criteria == {
        "all": [
            {"average": [ids["Essay 1"], ids["Essay 2"]], "min_percent": 70},
            {"completed": ids["Reading quiz (completed)"]},
        ]
    }
    assert badge.criteria_narrative == (
        "Average at least 70 % across Essay 1 and Essay 2 and complete Reading quiz."
    )
    tool.locator('[data-testid="advanced-json"] summary').click()
    assert json.loads(tool.locator("#criteria").input_value()) == {
        "all": [
            {"average": ["Essay 1", "Essay 2"], "min_percent": 70},
            {"completed": "Reading quiz (completed)"},
        ]
    }
    # Saved rules open in the builder again, rows and ticks as they were.
    assert tool.locator('[data-testid="condition"]').nth(0).locator("input:checked").count() == 2
    tool.locator('[data-testid="enable"]').click()
    assert _text(tool, "badge-state") == "Live"
    for width in (1366, 360):
        tool.set_viewport_size({"width": width, "height": 900})
        save_shot(tool, SHOTS / f"builder-completion-saved-{width}.png", full_page=True)
    tool.set_viewport_size({"width": 1366, "height": 900})

    # The builder with rows of every kind passes the same audit as every other page.
    if AXE.exists():
        assert _audit(chromium_context, tool.url, "badge-page-completion-rows") == []

    # In the sandbox Moodle: the teacher grades both essays for two learners, and one of
    # them marks the reading complete.
    from lti.sandbox.seed import course_url

    lms = chromium_context.new_page()
    lms.goto(course_url(env.sandbox, "moodle", course.course_id, course.teacher_login))
    lms.get_by_role("link", name="Gradebook").click()
    for who in (learner, other):
        for essay, score in (("Essay 1", "80"), ("Essay 2", "70")):
            lms.locator('select[name="line_item"]').select_option(label=f"{essay} (/100.0)")
            lms.locator('input[name="learner"]').fill(who)
            lms.locator('input[name="score"]').fill(score)
            lms.get_by_role("button", name="Save grade").click()
            assert "Saved" in lms.get_by_role("status").inner_text()
    lms.goto(f"{env.sandbox_url}/moodle/admin/webservices")
    complete = lms.locator("form", has=lms.locator('input[name="action"][value="complete"]'))
    complete.locator('select[name="cmid"]').select_option(label=f"Reading quiz (cmid {reading})")
    complete.locator('input[name="learner"]').fill(learner)
    complete.get_by_role("button").click()
    assert "Completion saved" in lms.content()

    # Check now: the average and the completion are met for one learner only.
    tool.get_by_role("link", name="All badges and awards in this course").first.click()
    tool.locator('[data-testid="check-now"]').click()
    tool.locator('[data-testid="job-status"]', has_text="awarded").wait_for(timeout=WAIT)
    status = _text(tool, "job-status")
    assert "1 badge awarded" in status, status
    row = tool.locator('[data-testid="badges"] tr', has_text="Engaged writer")
    assert row.locator('[data-testid="awarded-count"]').inner_text() == "1"

    # The other learner (essays graded, reading not done) sees why the badge is not theirs.
    _shot, mine = _open_tool(chromium_context, env, "moodle", course.course_id, other)
    card = mine.locator('[data-testid="to-earn-badge"]', has_text="Engaged writer")
    lines = [
        " ".join(t.split()) for t in card.locator('[data-testid="criterion"]').all_inner_texts()
    ]
    assert lines == [
        "✓ Met: Average of Essay 1 and Essay 2: 75 % (needed 70 %) ✓",
        "○ Not met yet: Reading quiz: not completed yet",
    ]
    for width in (1366, 360):
        mine.set_viewport_size({"width": width, "height": 900})
        save_shot(mine, SHOTS / f"learner-completion-progress-{width}.png", full_page=True)
