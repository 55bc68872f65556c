"""Playwright driving Debian's chromium (never a downloaded browser), headless.

Third-party cookies are blocked the way a user would block them (the profile preference), so
the tool must work in the LMS iframe without them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def chromium_context():
    """A persistent Chromium context whose profile blocks third-party cookies."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text(
        json.dumps(
            {
                "profile": {"block_third_party_cookies": True, "cookie_controls_mode": 1},
            }
        )
    )
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-features=TrackingProtection3pcd",
                # One renderer for a page and its frames: a Canvas journey's tool frame moves
                # between sites four times per launch (LMS, tool, LMS, tool), and in loaded full
                # runs the tool's page, served whole, was now and then never found by the
                # locators after those process swaps. Third-party cookie blocking and storage
                # partitioning are decided per request and per top-level site, not per process,
                # so what the tests prove about cookies stays the same.
                "--disable-site-isolation-trials",
                "--disable-features=IsolateOrigins,site-per-process",
            ],
        )
        # Clicks and navigations wait up to a minute: the machine may be loaded, and a wait
        # ends as soon as the page is ready.
        context.set_default_timeout(60_000)
        context.set_default_navigation_timeout(60_000)
        # A script or style the Content-Security-Policy blocks fails the test that loaded it.
        blocked: list[str] = []
        context.on(
            "console",
            lambda message: (
                blocked.append(f"{message.location}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        try:
            yield context
        finally:
            context.close()
        assert blocked == [], blocked
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def speaking(registered, chromium_context):
    """Set sandbox users' languages for the test, as they would in their LMS profile."""
    changed: list[tuple[str, str]] = []

    from lti.sandbox.seed import set_user_language

    def speak(slug: str, login: str, lang: str | None = None) -> None:
        """Set ``login``'s language (None: the test sets it by clicking; reset it after)."""
        if lang:
            set_user_language(registered.sandbox, slug, login, lang)
        changed.append((slug, login))

    yield speak
    for slug, login in changed:  # the sandbox is shared by the session
        set_user_language(registered.sandbox, slug, login, "en")
    # …and so is the browser: a language chosen on a public page is remembered in a cookie.
    chromium_context.clear_cookies(name="lang")
