"""The tool in the LMS user's language, by clicking from sandbox launches: a Moodle learner
whose profile language is Spanish, and a Canvas instructor working in Arabic (right to left).
Screenshots go to ``/tmp/polish-shots`` (``POLISH_SHOTS``): ``lang-*.png``."""

from __future__ import annotations

import pytest

from lti.sandbox.seed import course_url
from tests.browser.shots import SHOTS, save_shot
from tests.support.lti_env import course_of, login_of, start_launch

pytestmark = pytest.mark.browser
WAIT = 60_000


def _award_for(env, browser, slug: str, login: str) -> None:
    """Launch once (the tool learns the course and the person), then award them a badge."""
    from app.extensions import db
    from app.models import Context, LtiUser
    from tests.factories import AwardFactory, BadgeFactory, IssuerFactory

    browser.walk(browser.get(start_launch(env, slug, login)))
    context = db.session.query(Context).one()
    user = db.session.query(LtiUser).one()
    issuer = IssuerFactory(name="Universidad Sandbox")
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=context, name="Cell Biology"), user=user)


def test_a_moodle_learner_in_spanish(registered, browser, chromium_context, speaking):
    login = login_of(registered, "moodle", "#Learner")
    speaking("moodle", login)
    _award_for(registered, browser, "moodle", login)
    course_id, _title, _people = course_of(registered, "moodle")
    page = chromium_context.new_page()
    page.goto(course_url(registered.sandbox, "moodle", course_id, login))
    # In their Moodle profile the learner picks Spanish (Moodle's language pack code "es").
    page.get_by_label("Preferred language").select_option("es")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Badgebridge").first.click()
    # Moodle offers no platform storage: with third-party cookies blocked the tool opens in
    # its own window, and the launch there carries Moodle's locale ("es").
    link = page.frame_locator("iframe.tool-frame").locator("#lti1p3-new-tab-link")
    link.wait_for(timeout=WAIT)
    with chromium_context.expect_page() as popup_info:
        link.click()
    tool = popup_info.value
    tool.set_viewport_size({"width": 1366, "height": 900})
    tool.locator('[data-testid="earned-badge"]').wait_for(timeout=WAIT)
    assert tool.locator("html").get_attribute("lang") == "es"
    assert tool.locator("h1").inner_text().startswith("Mis insignias en")
    assert tool.locator('[data-testid="role"]').inner_text() == "Estudiante"
    assert tool.locator('img[alt="Insignia Cell Biology"]').count() == 1
    tool.get_by_role("button", name="Aceptar insignia").click()
    notice = tool.locator('[data-testid="notice"]')
    notice.wait_for(timeout=WAIT)
    assert notice.inner_text() == "Insignia aceptada. Ya puede compartirla."
    save_shot(tool, SHOTS / "lang-es-learner-1366.png", full_page=True)
    tool.set_viewport_size({"width": 360, "height": 740})
    save_shot(tool, SHOTS / "lang-es-learner-360.png", full_page=True)

    # The public page follows the visitor (an English browser here) and offers the switch.
    with chromium_context.expect_page() as public_info:
        tool.get_by_role("link", name="Ver la página pública").click()
    public = public_info.value
    public.set_viewport_size({"width": 1366, "height": 900})
    public.locator('[data-testid="verification-status"]').wait_for(timeout=WAIT)
    assert public.locator("html").get_attribute("lang") == "en"
    public.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
    status = public.locator('[data-testid="verification-status"]')
    status.wait_for(timeout=WAIT)
    assert public.locator("html").get_attribute("lang") == "es"
    assert "Válida: insignia verificada" in status.inner_text()
    assert "Emitida por Universidad Sandbox" in status.inner_text()
    save_shot(public, SHOTS / "lang-es-public-1366.png", full_page=True)


def test_a_canvas_instructor_in_arabic_right_to_left(registered, chromium_context, speaking):
    login = login_of(registered, "canvas", "#Instructor")
    speaking("canvas", login, "ar")
    course_id, _title, _people = course_of(registered, "canvas")
    page = chromium_context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(course_url(registered.sandbox, "canvas", course_id, login))
    page.get_by_role("link", name="Badgebridge").first.click()
    frame = page.frame_locator("iframe.tool-frame")
    frame.locator('[data-testid="role"]').wait_for(timeout=WAIT)
    assert frame.locator("html").get_attribute("dir") == "rtl"
    assert frame.locator("html").get_attribute("lang") == "ar"
    assert frame.locator('[data-testid="role"]').inner_text() == "فريق التدريس"
    # Right to left for real: the heading's text sits against the frame's right edge.
    heading = frame.locator("h1")
    assert heading.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert heading.evaluate(
        "e => { const range = document.createRange(); range.selectNodeContents(e);"
        " const r = range.getBoundingClientRect(), w = document.documentElement.clientWidth;"
        " return w - r.right < r.left; }"
    )
    save_shot(page, SHOTS / "lang-ar-staff-1366.png")

    frame.get_by_role("link", name="تصميم شارة").click()
    frame.get_by_label("الاسم", exact=True).fill("Careful Reader")
    frame.locator("#save-design").click()  # no description yet: refused, in Arabic
    error = frame.locator("#error-description")
    error.wait_for(timeout=WAIT)
    assert error.inner_text() == "قل في جملة واحدة ما الذي تقدّره الشارة."
    frame.get_by_label("الوصف", exact=True).fill("يقرأ كل سؤال مرتين.")
    frame.locator("#save-design").click()
    saved = frame.locator('[data-testid="save-result"]')
    try:
        saved.filter(has_text="إصدار الصورة 1").wait_for(timeout=WAIT)
    finally:
        save_shot(page, SHOTS / "lang-ar-designer-1366.png")
    assert "هذه الشارة مسودة." in saved.inner_text()
    save_shot(page, SHOTS / "lang-ar-designer-1366.png")

    tool = chromium_context.new_page()  # the designer on its own, at a phone's width
    tool.set_viewport_size({"width": 360, "height": 740})
    tool.goto(frame.locator("body").evaluate("() => location.href"))
    tool.locator("#designer-form").wait_for(timeout=WAIT)
    assert tool.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    save_shot(tool, SHOTS / "lang-ar-designer-360.png", full_page=True)
