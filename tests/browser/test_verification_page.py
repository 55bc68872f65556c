"""By clicking only, from sandbox launches: an instructor awards a badge through a rule, the
learner opens it in the Canvas-like course (the frame grows to fit the page), opens its
public page (a green "valid" banner, no add-to-profile action for visitors), then the
instructor revokes it behind a confirmation and the public page turns red (and its
printable certificate says revoked). An unknown badge address is a page a person can read.

Screenshots at 1366 px and at an LMS frame width go to ``/tmp/polish-shots``.
"""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tests.browser.shots import frame_url, open_canvas_tool, publish_clear_writer, shoot

pytestmark = pytest.mark.browser

WAIT = 60_000


@pytest.fixture
def fitting_frames(registered):
    """The Canvas-like course fits its frame to the tool's page, as Canvas does."""
    registered.sandbox.config["SANDBOX_FIT_FRAME"] = True
    try:
        yield
    finally:
        registered.sandbox.config["SANDBOX_FIT_FRAME"] = False


def test_a_badge_from_award_to_revocation_on_its_public_page(
    registered, chromium_context, fitting_frames
):
    from lti.sandbox.seed import create_course

    course = create_course(
        registered.sandbox,
        "canvas",
        "Verify course",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    teacher, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="open-designer"]').click()
    publish_clear_writer(tool, "Essay (out of 100)", wait=WAIT)

    # The learner, in the course: the frame is as tall as the tool's page, not a fixed box.
    learner, mine = open_canvas_tool(
        chromium_context, registered, course.course_id, course.learner_logins[0]
    )
    card = mine.locator('[data-testid="earned-badge"]')
    card.wait_for(timeout=WAIT)
    frame = learner.locator("iframe.tool-frame")
    learner.wait_for_function(
        "() => document.querySelector('iframe.tool-frame').dataset.resizedTo", timeout=WAIT
    )
    asked = int(frame.get_attribute("data-resized-to"))
    content = mine.locator("body").evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
    assert abs(asked - content) <= 2 and asked != 720  # 720: the sandbox's fixed default
    assert abs(frame.bounding_box()["height"] - asked) <= 4
    card_box = card.bounding_box()
    assert card_box["width"] >= 480  # a card, not a narrow column
    link = mine.locator('[data-testid="public-link"]')
    assert (
        link.bounding_box()["x"] + link.bounding_box()["width"] <= card_box["x"] + card_box["width"]
    )  # the link is not cut off
    shoot(chromium_context, frame_url(learner), "learner-card")

    with chromium_context.expect_page() as opened:
        mine.locator('[data-testid="public-page"]').click()
    public = opened.value
    public.wait_for_load_state()
    banner = public.locator('[data-testid="verification-status"]')
    assert banner.get_attribute("class") == "status-banner status-valid"
    assert banner.inner_text().startswith("Valid: verified badge")
    assert "Checked" in banner.inner_text()
    assert public.locator("h1").inner_text() == "Clear writer"
    assert public.get_by_role("link", name="Add to LinkedIn profile").count() == 0
    assert public.locator("svg.status-icon").count() == 1
    colour = banner.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(26, 127, 55)"  # the valid green
    verify_url = public.url
    shoot(chromium_context, verify_url, "verify-valid")

    # The instructor, still on the badge's page, revokes it; the action asks first.
    revoke_open = tool.locator('[data-testid="revoke-open"]')
    assert not tool.locator('[data-testid="revoke"]').is_visible()
    revoke_open.click()
    tool.locator('input[name="reason"]').last.fill("Essay was plagiarised")
    tool.locator('[data-testid="revoke"]').click()
    tool.locator('[data-testid="note"]', has_text="Badge revoked").wait_for(timeout=WAIT)
    shoot(chromium_context, frame_url(teacher), "badge-page-after-revoke")

    public.reload()
    banner = public.locator('[data-testid="verification-status"]')
    assert banner.get_attribute("class") == "status-banner status-revoked"
    assert "Essay was plagiarised" in banner.inner_text()
    shoot(chromium_context, verify_url, "verify-revoked")
    # The printable certificate, downloaded from the page, says revoked too.
    with public.expect_download() as download:
        public.get_by_role("link", name="Download certificate (PDF)").click()
    assert download.value.suggested_filename == "Clear writer certificate.pdf"
    pdf = PdfReader(download.value.path()).pages[0].extract_text()
    assert "REVOKED" in pdf and "Clear writer" in pdf and "Essay was plagiarised" in pdf

    missing = chromium_context.new_page()
    answer = missing.goto(verify_url.rsplit("/", 1)[0] + "/no-such-badge")
    assert answer.status == 404
    assert missing.locator("h1").inner_text() == "We could not find this badge"
    missing.close()
    shoot(chromium_context, verify_url.rsplit("/", 1)[0] + "/no-such-badge", "verify-404")
