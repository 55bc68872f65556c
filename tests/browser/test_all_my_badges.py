"""By clicking from sandbox launches: a learner enrolled in two courses of the Canvas-like
LMS earns a badge in each, and from either course sees all their badges, that course's
first. Screenshots go to ``/tmp/polish-shots``."""

from __future__ import annotations

import pytest

from tests.browser.shots import enable_on_column, frame_url, shoot, wait_or_say_what_shows

pytestmark = pytest.mark.browser

WAIT = 60_000


def _open(context, env, course_id: int, login: str):
    from lti.sandbox.seed import course_url

    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(course_url(env.sandbox, "canvas", course_id, login))
    page.get_by_role("link", name="Badgebridge").first.click()
    return page, page.frame_locator("iframe.tool-frame")


def _badge_for_everyone(context, env, course, name: str) -> None:
    """The course's teacher designs a badge, gives it a rule anyone graded meets, enables it."""
    page, tool = _open(context, env, course.course_id, course.teacher_login)
    tool.locator('[data-testid="open-designer"]').click()
    tool.locator("#badge-name").fill(name)
    tool.locator("#badge-description").fill(f"{name}: earned by handing in graded work.")
    tool.locator("#save-design").click()
    tool.locator('[data-testid="open-badge-page"]').click()
    enable_on_column(tool, 1, "1", wait=WAIT)
    tool.locator('[data-testid="job-status"]', has_text="awarded").wait_for(timeout=WAIT)
    page.close()


def test_a_learner_sees_their_badges_from_every_course(registered, chromium_context):
    from lti.sandbox import operations as ops
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Course, LineItem, User
    from lti.sandbox.seed import create_course

    first = create_course(
        registered.sandbox,
        "canvas",
        "Art history",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    second = create_course(
        registered.sandbox,
        "canvas",
        "Zoology",
        learners=1,
        tas=0,
        columns=(("Field notes", 10.0),),
        score_fraction=1.0,
        seed=7,
    )
    learner = first.learner_logins[0]
    with session_scope(registered.sandbox) as s:  # the LMS enrols the same person in both
        course = s.get(Course, second.course_id)
        user = s.query(User).filter_by(platform_id=course.platform_id, login=learner).one()
        ops.enroll(s, course, user, "student")
        # …and its teacher grades them there (the sandbox's gradebook, as a teacher would).
        ops.teacher_grade(s, "canvas", s.get(LineItem, second.line_item_ids[0]), user, 8.0)
    _badge_for_everyone(chromium_context, registered, first, "Art critic")
    _badge_for_everyone(chromium_context, registered, second, "Zoologist")

    page, tool = _open(chromium_context, registered, second.course_id, learner)
    all_badges = tool.locator('[data-testid="all-my-badges"]')
    wait_or_say_what_shows(tool, all_badges, "the learner page never showed in the tool's frame")
    all_badges.click()
    groups = tool.locator('[data-testid="course-badges"]')
    groups.first.wait_for(timeout=WAIT)
    assert groups.count() == 2
    assert groups.nth(0).locator("h2").inner_text().startswith("Zoology")
    assert "this course" in groups.nth(0).locator("h2").inner_text()
    assert "Zoologist" in groups.nth(0).inner_text()
    assert groups.nth(1).locator("h2").inner_text() == "Art history"
    assert "Art critic" in groups.nth(1).inner_text()
    shoot(chromium_context, frame_url(page), "learner-all-badges")
