"""Badges in several languages and scripts, by clicking from a sandbox Canvas launch.

The instructor types an Arabic title in the designer (shaped and drawn as outlines by the
server), and adds an Arabic version of a badge's texts on the badge page; a learner whose
browser asks for Arabic reads that version in the course, and reads the English one once
the instructor removes it.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from tests.browser.shots import (
    SHOTS,
    frame_url,
    open_canvas_tool,
    save_careful_reader,
    save_shot,
    wait_or_say_what_shows,
)
from tests.support.lti_env import course_of, login_of

pytestmark = pytest.mark.browser

ARABIC_TITLE = "شارة التميز"
ARABIC_NAME = "القارئ المتأني"


def test_instructor_types_an_arabic_title_and_the_artwork_is_shaped(registered, chromium_context):
    course_id, _title, _people = course_of(registered, "canvas")
    page, frame = open_canvas_tool(
        chromium_context, registered, course_id, login_of(registered, "canvas", "#Instructor")
    )
    frame.locator('[data-testid="open-designer"]').click(timeout=60_000)
    frame.locator("#preview-status").filter(has_text="up to date").wait_for(timeout=60_000)
    title = frame.get_by_label("Title", exact=True)

    # A script the bundled fonts lack: the designer names the characters, draws no boxes.
    title.fill("똠배지")  # "똠": a Hangul syllable outside the bundled KS X 1001 set
    frame.locator("#error-title").filter(has_text="cannot draw '똠'").wait_for(timeout=60_000)

    title.fill(ARABIC_TITLE)
    frame.get_by_label("Subtitle", exact=False).first.fill("Python 2026")
    frame.locator(f'[data-testid="preview"][alt="{ARABIC_TITLE} — Python 2026"]').wait_for(
        timeout=60_000
    )
    assert frame.locator("#error-title").is_hidden()
    save_shot(page, SHOTS / "designer-arabic-title.png")

    frame.get_by_label("Name", exact=True).fill(ARABIC_TITLE)
    frame.get_by_label("Description", exact=True).fill("Excellence in the Python course.")
    frame.locator("#save-design").click()
    frame.locator('[data-testid="save-result"]').filter(has_text="artwork version 1").wait_for(
        timeout=60_000
    )
    png_url = frame.locator('[data-testid="saved-png"]').get_attribute("href")
    public_id = re.search(r"/ob/badges/([0-9a-f-]{36})/", png_url)[1]
    served = requests.get(png_url, timeout=30).content

    # The PNG the tool serves is byte for byte what the artwork code draws for this design
    # anywhere else: shaping and fonts are bundled, nothing depends on the machine.
    from app.extensions import db
    from app.openbadges.models import Badge
    from badge_design.design import validate_design
    from badge_design.render import render_pngs
    from badge_design.templates import render_svg

    db.session.expire_all()
    badge = db.session.scalar(select(Badge).where(Badge.public_id == public_id))
    assert badge.design["title"] == ARABIC_TITLE
    assert render_pngs(render_svg(validate_design(badge.design)))[0] == served


def test_arabic_version_of_a_badge_is_added_read_by_an_arabic_learner_and_removed(
    registered, chromium_context, speaking
):
    page, frame = save_careful_reader(chromium_context, registered)
    frame.locator('[data-testid="open-badge-page"]').click()
    frame.locator('[data-testid="add-language-form"]').wait_for(timeout=60_000)

    # A tag Open Badges does not accept is refused with the reason beside the form.
    frame.locator("#l-language").fill("arabic")
    frame.locator("#l-name").fill(ARABIC_NAME)
    frame.locator("#l-description").fill("يقرأ كل سؤال مرتين.")
    frame.locator('[data-testid="add-language"]').click()
    frame.locator('[data-testid="language-error"]').filter(has_text="not a language tag").wait_for(
        timeout=60_000
    )

    frame.locator("#l-language").fill("ar")
    frame.locator('[data-testid="add-language"]').click()
    frame.locator('[data-testid="language-ar"]').wait_for(timeout=60_000)
    assert frame.locator('[data-testid="language-ar"] input[name="name"]').input_value() == (
        ARABIC_NAME
    )
    frame.locator('[data-testid="language-ar"]').scroll_into_view_if_needed()
    save_shot(page, SHOTS / "badge-page-languages.png")
    frame.locator('[data-testid="publish"]').click()
    frame.locator('[data-testid="badge-state"]').filter(has_text="Live").wait_for(timeout=60_000)
    badge_id = re.search(r"/badge/([0-9a-f-]{36})", frame_url(page))[1]

    # The Arabic version is its own Open Badges 3.0 Achievement, linked from the badge's.
    achievement = requests.get(
        f"{registered.tool_url}/ob/v3/achievements/{badge_id}",
        headers={"Accept": "application/ld+json"},
        timeout=30,
    ).json()
    (related,) = achievement["related"]
    assert related["inLanguage"] == "ar"
    variant = requests.get(related["id"], timeout=30).json()
    assert (variant["name"], variant["inLanguage"]) == (ARABIC_NAME, "ar")

    # A learner whose Canvas speaks Arabic (the launch's locale comes first, then the
    # browser's languages) reads the Arabic version in the course.
    course_id, _title, _people = course_of(registered, "canvas")
    learner_login = login_of(registered, "canvas", "#Learner")
    speaking("canvas", learner_login, "ar")
    learner, tool = open_canvas_tool(chromium_context, registered, course_id, learner_login)
    learner.set_extra_http_headers({"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
    learner.reload()
    reading = learner.frame_locator("iframe.tool-frame")
    heading = reading.locator("h3[lang=ar]").filter(has_text=ARABIC_NAME)
    # Failed once in a loaded full run, never alone: a failure says what the learner read.
    wait_or_say_what_shows(reading, heading, "the learner does not read the Arabic version")
    save_shot(learner, SHOTS / "learner-arabic-badge.png", full_page=True)

    # The instructor removes it: the learner reads the badge's own English text again.
    frame.locator('[data-testid="remove-language-ar"]').click()
    frame.locator('[data-testid="language-ar"]').wait_for(state="detached", timeout=60_000)
    frame.get_by_text("Language version removed.").wait_for(timeout=60_000)
    learner.reload()
    tool = learner.frame_locator("iframe.tool-frame")
    tool.locator("h3[lang=en]").filter(has_text="Careful Reader").wait_for(timeout=60_000)
    assert tool.locator("h3[lang=ar]").count() == 0
