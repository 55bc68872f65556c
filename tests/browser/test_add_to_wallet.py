"""By clicking from a sandbox launch: the teacher publishes a badge, the learner opens My
badges, chooses "Add to wallet" and gets a QR code, the same-device link and Learner
Credential Wallet's link; a test wallet takes the link it shows. Screenshots go to
``/tmp/polish-shots``."""

from __future__ import annotations

import pytest

from tests.browser.shots import SHOTS, open_canvas_tool, publish_clear_writer, save_shot, settle
from tests.browser.test_accessibility import AXE
from tests.browser.test_accessibility import _serious_violations as serious_violations

pytestmark = pytest.mark.browser

WAIT = 60_000


def test_a_learner_adds_a_badge_to_a_wallet(registered, chromium_context):
    from lti.sandbox.seed import create_course
    from tests.wallets.wallet import Wallet

    course = create_course(
        registered.sandbox,
        "canvas",
        "Wallet studies",
        learners=1,
        tas=0,
        columns=(("Essay", 100.0),),
        score_fraction=1.0,
    )
    page, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.teacher_login
    )
    tool.locator('[data-testid="open-designer"]').click(timeout=WAIT)
    publish_clear_writer(tool, "Essay (out of 100)", wait=WAIT)
    page.close()

    page, tool = open_canvas_tool(
        chromium_context, registered, course.course_id, course.learner_logins[0]
    )
    earned = tool.locator('[data-testid="earned-badge"]', has_text="Clear writer")
    earned.wait_for(timeout=WAIT)
    settle(page)
    button = earned.locator('[data-testid="add-to-wallet"]')
    button.scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    save_shot(page, SHOTS / "wallet-my-badges-1366.png")
    button.click()

    tool.locator('[data-testid="wallet-qr"] svg').wait_for(timeout=WAIT)
    assert tool.locator('[data-testid="lcw-qr"] svg').count() == 1
    offer_link = tool.locator('[data-testid="wallet-link"]').get_attribute("href")
    lcw_link = tool.locator('[data-testid="lcw-link"]').get_attribute("href")
    assert offer_link.startswith("openid-credential-offer://?credential_offer_uri=")
    assert lcw_link.startswith("dccrequest://request?request=")
    steps = tool.locator('[data-testid="wallet-steps"]').inner_text()
    assert "scan" in steps.lower()
    if AXE.exists():  # the offer page passes the accessibility audit the main pages pass
        frame = page.locator("iframe.tool-frame").element_handle().content_frame()
        assert serious_violations(frame) == []
    settle(page)
    save_shot(page, SHOTS / "wallet-offer-1366.png", full_page=True)
    tool.locator('[data-testid="lcw-link"]').scroll_into_view_if_needed()
    save_shot(page, SHOTS / "wallet-offer-codes-1366.png")

    # The link on the screen is a live offer of this badge.
    offer = Wallet().resolve_offer(offer_link)
    assert offer["credential_issuer"] == registered.tool_url
    assert offer["credential_configuration_ids"]

    tool.locator('[data-testid="wallet-back"]').click()
    tool.locator('[data-testid="earned-badge"]').first.wait_for(timeout=WAIT)
