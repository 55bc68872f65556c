"""A real browser sets up two-step sign-in in the admin console and signs in with it.

Starts from an account made the way the console says (``flask admin create-user``); every
other step is a click or a typed field. The console's pages run under the nonce CSP (the
context fixture fails the test on any blocked script or style).
"""

from __future__ import annotations

import time

import pyotp
import pytest

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "root@example.edu", "a long console password"


def _sign_in(page, tool_url: str) -> None:
    page.goto(f"{tool_url}/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _next_code(secret: str) -> str:
    # A code is accepted once. The next time step's code is what an app whose clock runs a
    # little ahead shows now, and the console allows one step of drift: no 30 s wait for it.
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + totp.interval)


def test_two_step_sign_in_from_the_console(registered, runner, chromium_context):
    result = runner.invoke(args=["admin", "create-user", "--email", EMAIL, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    page = chromium_context.new_page()
    _sign_in(page, registered.tool_url)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Set up two-step sign-in").click()
    secret = page.locator("code").first.inner_text()
    first = pyotp.TOTP(secret).now()
    page.get_by_label("Code from the app").fill(first)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, registered.tool_url)
    page.get_by_label("The 6-digit code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()
    page.get_by_label("The 6-digit code").fill(_next_code(secret))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Registrations").wait_for()
    assert page.url.rstrip("/").endswith("/admin")
