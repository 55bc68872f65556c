"""A real browser designs a badge inside the sandbox Canvas course's iframe and saves it.

Canvas flavour: its postMessage storage lets the launch work with third-party cookies
blocked, which is how the tool runs in Safari and in Chrome with cookies blocked.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from tests.support.lti_env import course_of, login_of

pytestmark = pytest.mark.browser

HOSTILE = Path(__file__).resolve().parents[1] / "badge_design" / "hostile"


def _open_designer(context, env, width: int):
    from lti.sandbox.seed import course_url

    course_id, _title, _people = course_of(env, "canvas")
    page = context.new_page()
    # A narrow window: the sandbox's iframe is as wide as the page, like an LMS on a phone
    # or a course page with its side bars open.
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(course_url(env.sandbox, "canvas", course_id, login_of(env, "canvas", "#Instructor")))
    page.get_by_role("link", name="Badgebridge").first.click()
    frame = page.frame_locator("iframe.tool-frame")
    frame.locator('[data-testid="open-designer"]').click(timeout=60_000)
    frame.locator("#designer-form").wait_for(timeout=60_000)
    return page, frame


def test_instructor_designs_saves_and_the_png_is_served(registered, chromium_context, app):
    page, frame = _open_designer(chromium_context, registered, width=400)
    preview = frame.locator('[data-testid="preview"]')
    # The first preview (the default design) arrives on its own.
    frame.locator("#preview-status").filter(has_text="up to date").wait_for(timeout=60_000)
    first_src = preview.get_attribute("src")
    assert first_src.startswith("blob:")

    # Keyboard first: the shape is a radio group, reached and chosen without a mouse.
    shapes = frame.get_by_role("radiogroup", name="Template")
    shapes.get_by_label("Circle").focus()
    page.keyboard.press("ArrowRight")  # circle → hexagon; arrows move and select
    assert shapes.get_by_label("Hexagon").is_checked()
    shapes.get_by_label("Star").focus()
    page.keyboard.press("Space")
    assert shapes.get_by_label("Star").is_checked()
    frame.get_by_label("Gradient", exact=True).check()
    frame.locator("#fill-color").fill("#14532d")
    frame.locator("#fill-color2").fill("#16a34a")
    frame.get_by_label("Title", exact=True).fill("Field Botanist")
    frame.get_by_label("Subtitle", exact=False).first.fill("2026")
    frame.get_by_label("Tier band").select_option("gold")
    frame.get_by_label("Search icons").fill("leaf")
    assert frame.locator(".icon-choice:visible").count() == 1
    frame.get_by_role("radiogroup", name="Icon").get_by_label("Leaf").check()

    # The preview follows the typing (debounced, rendered by the server).
    frame.locator('[data-testid="preview"][alt="Field Botanist — 2026"]').wait_for(timeout=60_000)
    assert preview.get_attribute("src") != first_src
    assert frame.locator("#title").evaluate("e => getComputedStyle(e).outlineStyle") in (
        "none",
        "auto",
        "solid",
    )

    # A too-light text colour: the contrast warning shows while designing.
    frame.locator("#text-color").fill("#dcfce7")
    frame.locator("#fill-color2").fill("#bbf7d0")
    frame.locator('[data-testid="contrast-warnings"] li').first.wait_for(timeout=60_000)
    assert "WCAG AA" in frame.locator('[data-testid="contrast-warnings"]').inner_text()
    frame.locator("#fill-color2").fill("#166534")
    frame.locator("#text-color").fill("#ffffff")
    frame.locator('[data-testid="contrast-warnings"] li').first.wait_for(
        state="detached", timeout=60_000
    )

    # Saving without a name says so next to the field.
    frame.locator("#save-design").click()
    frame.locator("#error-name").filter(has_text="needs a name").wait_for(timeout=60_000)
    assert frame.locator("#badge-name").get_attribute("aria-invalid") == "true"

    frame.get_by_label("Name", exact=True).fill("Field Botanist")
    frame.get_by_label("Description", exact=True).fill("Identifies 50 plants in the field.")
    frame.locator("#save-design").click()
    result = frame.locator('[data-testid="save-result"]')
    result.filter(has_text="artwork version 1").wait_for(timeout=60_000)

    png_url = frame.locator('[data-testid="saved-png"]').get_attribute("href")
    pattern = re.escape(registered.tool_url) + r"/ob/badges/([0-9a-f-]{36})/image/1\.png"
    match = re.fullmatch(pattern, png_url)
    assert match, png_url
    response = requests.get(png_url, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert (image.format, image.size) == ("PNG", (512, 512))
        # Not blank: the design was drawn (the gradient and the white text differ).
        assert len(image.convert("RGB").getcolors(1_000_000) or []) > 50

    from app.extensions import db
    from app.openbadges.models import Badge

    db.session.expire_all()
    badge = db.session.scalar(select(Badge).where(Badge.public_id == match[1]))
    assert (badge.design["template"], badge.design["title"], badge.design["tier"]) == (
        "star",
        "Field Botanist",
        "gold",
    )
    assert badge.design["icon"] == {"name": "leaf", "color": "#ffffff"}
    assert badge.design["fill"]["color"] == "#14532d"

    # A second save is a new version of the same badge, not a new badge.
    frame.get_by_label("Subtitle", exact=False).first.fill("2027")
    frame.locator("#save-design").click()
    result.filter(has_text="artwork version 2").wait_for(timeout=60_000)
    # Nothing of the tool's site was stored as a cookie: the launch token did all the work.
    assert chromium_context.cookies(registered.tool_url) == []


def test_designer_fits_a_320px_frame(registered, chromium_context):
    _page, frame = _open_designer(chromium_context, registered, width=320)
    frame.locator("#preview-status").filter(has_text="up to date").wait_for(timeout=60_000)
    overflow = frame.locator("body").evaluate(
        "b => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    # The preview sits above the form here; typing further down keeps a thumbnail in view.
    mini = frame.locator("#mini-preview")
    assert mini.is_hidden()
    frame.get_by_label("Title", exact=True).fill("Narrow")
    frame.locator("#icon-search").scroll_into_view_if_needed()
    mini.wait_for(state="visible", timeout=5_000)


def test_uploads_show_the_checkers_words(registered, chromium_context):
    _page, frame = _open_designer(chromium_context, registered, width=400)
    frame.locator("#preview-status").filter(has_text="up to date").wait_for(timeout=60_000)
    frame.get_by_label("Name", exact=True).fill("Uploaded badge")
    frame.get_by_label("Description", exact=True).fill("Artwork from a file.")
    upload = frame.get_by_label("Image file")

    # A hostile file: refused, and the reason sits next to the file field.
    upload.set_input_files(str(HOSTILE / "billion_laughs.svg"))
    frame.locator("#upload-button").click()
    error = frame.locator("#error-file")
    error.filter(has_text="XML entities").wait_for(timeout=60_000)
    assert upload.get_attribute("aria-invalid") == "true"

    # An SVG with a script: cleaned, saved, and the instructor is told what was removed.
    upload.set_input_files(str(HOSTILE / "script_tag.svg"))
    frame.locator("#upload-button").click()
    result = frame.locator('[data-testid="save-result"]')
    result.filter(has_text="artwork version 1").wait_for(timeout=60_000)
    assert "Removed <script>" in result.inner_text()
    assert error.is_hidden()


def test_the_artwork_is_titled_with_the_badge_name_until_the_title_is_edited(
    registered, chromium_context
):
    _page, frame = _open_designer(chromium_context, registered, width=800)
    title = frame.get_by_label("Title", exact=True)
    assert title.input_value() == "Badge title"
    frame.get_by_label("Name", exact=True).fill("Lab Safety")
    assert title.input_value() == "Lab Safety"
    frame.locator('[data-testid="preview"][alt^="Lab Safety"]').wait_for(timeout=60_000)
    # A title written by hand is the maker's: the name no longer overwrites it.
    title.fill("Safe hands")
    frame.get_by_label("Name", exact=True).fill("Lab Safety, level 2")
    assert title.input_value() == "Safe hands"


def test_a_refused_save_keeps_its_errors_when_the_preview_answers(registered, chromium_context):
    _page, frame = _open_designer(chromium_context, registered, width=800)
    frame.locator("#preview-status").filter(has_text="up to date").wait_for(timeout=60_000)
    frame.get_by_label("Name", exact=True).fill("Careful Reader")
    frame.locator("#save-design").click()  # no description yet: refused
    error = frame.locator("#error-description")
    error.wait_for(timeout=60_000)
    said = error.inner_text()
    assert said
    # An artwork change asks for a new preview; its answer speaks for the artwork only and
    # leaves the refusal's word on the description where it is.
    frame.get_by_label("Title", exact=True).fill("Careful Reader, level 1")
    frame.locator('[data-testid="preview"][alt^="Careful Reader, level 1"]').wait_for(
        timeout=60_000
    )
    assert error.is_visible() and error.inner_text() == said
    assert frame.get_by_label("Description", exact=True).get_attribute("aria-invalid") == "true"
