"""A real browser: the issuer a course's badges name is the institution, and an admin edits it.

From an empty database: an instructor launches from the Canvas-like sandbox course and saves a
badge design (the tool creates the institution's issuer, named after the platform as its
launch says); an admin signs in to the console, opens that registration and gives the issuer
its web site, contact and logo.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.shots import save_careful_reader

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "root@example.edu", "a long console password"


def test_admin_edits_the_institutions_issuer_profile(registered, runner, chromium_context):
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Platform

    with session_scope(registered.sandbox) as s:
        platform_name = s.scalars(select(Platform).where(Platform.slug == "canvas")).one().name
    save_careful_reader(chromium_context, registered)

    result = runner.invoke(args=["admin", "create-user", "--email", EMAIL, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    console = chromium_context.new_page()
    console.goto(f"{registered.tool_url}/admin/login")
    console.get_by_label("Email").fill(EMAIL)
    console.get_by_label("Password").fill(PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.get_by_role("link", name="Registrations").wait_for()

    from app.extensions import db
    from app.models import Registration
    from app.openbadges.models import Issuer

    db.session.expire_all()
    registration = db.session.scalars(
        select(Registration).where(Registration.platform_name == platform_name)
    ).one()
    console.get_by_role("link", name=registration.name or registration.issuer).first.click()
    section = console.get_by_role("form", name="The institution's issuer profile")
    assert section.get_by_label("Name").input_value() == platform_name
    section.get_by_label("Web site").fill("https://www.example.edu")
    section.get_by_label("Contact email").fill("registrar@example.edu")
    section.get_by_label("Logo (image URL, optional)").fill("https://www.example.edu/logo.png")
    section.get_by_role("button", name="Save issuer profile").click()
    console.get_by_text(f"Issuer profile saved: new awards name {platform_name}.").wait_for()

    db.session.rollback()  # end the read transaction: see what the server committed since
    issuer = db.session.scalars(
        select(Issuer).where(Issuer.registration_id == registration.id, Issuer.context_id.is_(None))
    ).one()
    assert (issuer.name, issuer.url, issuer.email, issuer.image_url) == (
        platform_name,
        "https://www.example.edu",
        "registrar@example.edu",
        "https://www.example.edu/logo.png",
    )
