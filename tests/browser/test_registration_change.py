"""An LMS runs dynamic registration again with new endpoints; an admin reviews the diff in the
console and approves it by clicking, as a person would."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Registration
from tests.registration.conftest import platform, register_url  # noqa: F401
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _registration() -> Registration:
    db.session.rollback()  # a fresh read: the live server changed it in its own transaction
    return db.session.scalars(select(Registration)).one()


def test_admin_approves_a_changed_registration_from_the_diff(
    app,
    lti_env,
    platform,
    admin_user,
    chromium_context,
):
    behaviour, config_url = platform("moodle", client_id="moodle-7", deployment_id="7")
    page = chromium_context.new_page()
    # The LMS admin pastes the tool's registration URL; the LMS opens it with its parameters.
    page.goto(lti_env.tool_url + register_url(config_url))
    assert "Badgebridge is registered" in page.locator("h1").inner_text()

    page.goto(lti_env.tool_url + "/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Approve").first.click()
    page.get_by_text("is now active").wait_for()
    assert _registration().status == "active"
    old_key_set = _registration().key_set_url

    # The platform now announces another key set; registering again only proposes it.
    config = requests.get(config_url, timeout=5).json()
    config["jwks_uri"] = config_url.split("/mod/")[0] + "/mod/lti/certs-2026.php"
    behaviour.config_body = json.dumps(config)
    page.goto(lti_env.tool_url + register_url(config_url))
    assert "administrator's approval" in page.locator("main").inner_text()

    page.goto(lti_env.tool_url + "/admin/")
    page.get_by_role("link", name="change waiting for approval").click()
    diff = page.get_by_role("table", name="Proposed changes")
    assert old_key_set in diff.inner_text() and config["jwks_uri"] in diff.inner_text()
    assert _registration().key_set_url == old_key_set  # unchanged until an admin approves
    page.get_by_role("button", name="Approve change").click()
    page.get_by_text("Change approved").wait_for()
    assert _registration().key_set_url == config["jwks_uri"]
