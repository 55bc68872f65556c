"""The issuer is the institution: named from its launches, edited in the console (per
registration and per course) and on the command line, shown in every new document."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.designer.operations import course_issuer
from app.extensions import db
from app.models import Context, Registration
from app.openbadges import documents, issuers, operations
from tests.factories import CourseFactory, RegistrationFactory
from tests.support.admin import csrf_of
from tests.support.lti_env import login_of, start_launch


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_auto_created_issuer_is_named_after_the_platform(registered, browser, slug):
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Platform

    with session_scope(registered.sandbox) as s:
        platform_name = s.scalars(select(Platform).where(Platform.slug == slug)).one().name
    login = login_of(registered, slug, "#Instructor")
    browser.walk(browser.get(start_launch(registered, slug, login)))
    context = db.session.scalars(select(Context)).one()
    registration = db.session.get(Registration, context.registration_id)
    # Moodle sends its site's full name as the description, its short name as the name.
    assert registration.platform_name == platform_name
    issuer = course_issuer(context)
    assert issuer.name == platform_name and not issuer.name.startswith("http")


def _registration() -> Registration:
    """A platform named by its issuer URL, whose launches named the institution, and one of
    its courses."""
    row = RegistrationFactory(
        name="https://lms.example.edu",
        issuer="https://lms.example.edu",
        platform_name="Example University",
    )
    CourseFactory(deployment__registration=row, title="Biology 101")
    return row


def test_console_edits_the_institution_and_a_course_override(admin):
    row = _registration()
    url = f"/admin/registrations/{row.public_id}"
    page = admin.get(url)
    assert "Issuer profile" in page.text and 'value="Example University"' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "name": "Example University",
        "url": "https://www.example.edu",
        "email": "registrar@example.edu",
        "image_url": "https://www.example.edu/logo.png",
        "description": "",
    }
    bad = admin.post(f"{url}/issuer", data={**form, "url": "javascript:alert(1)"})
    assert bad.status_code == 302
    assert "must be an http(s) URL" in admin.get(url).text
    assert issuers.find_issuer(row.id) is None
    assert admin.post(f"{url}/issuer", data=form).status_code == 302
    issuer = issuers.find_issuer(row.id)
    assert (issuer.name, issuer.url, issuer.email, issuer.image_url) == (
        "Example University",
        "https://www.example.edu",
        "registrar@example.edu",
        "https://www.example.edu/logo.png",
    )
    # Saved again: the same issuer, changed.
    admin.post(f"{url}/issuer", data={**form, "name": "Example U."})
    assert issuers.find_issuer(row.id).id == issuer.id and issuer.name == "Example U."
    context = db.session.scalars(select(Context)).one()
    page = admin.get(url)
    admin.post(
        f"{url}/issuer",
        data={
            **form,
            "csrf_token": csrf_of(page.text),
            "course": context.public_id,
            "name": "Example University School of Biology",
        },
    )
    override = issuers.find_issuer(row.id, context.id)
    assert override.id != issuer.id and override.name.endswith("School of Biology")
    assert "School of Biology" in admin.get(url).text
    assert admin.post(f"{url}/issuer", data={**form, "course": "nope"}).status_code == 404
    profile = documents.ob3_profile(override)
    assert profile["image"] == {
        "id": "https://www.example.edu/logo.png",
        "type": "Image",
        "caption": "Logo of Example University School of Biology",
    }


def test_cli_issuer_update(cli, issuer, badge):
    code, answer = cli(
        "badges",
        "issuer-update",
        issuer.public_id,
        "--name",
        "New Name",
        "--image-url",
        "https://example.edu/logo.png",
    )
    assert code == 0 and answer["name"] == "New Name"
    assert documents.ob2_issuer(issuer)["image"] == "https://example.edu/logo.png"
    credential = operations.issue(
        badge, operations.Recipient(email="a@example.org")
    ).assertion.credential
    assert credential["issuer"]["name"] == "New Name"
    code, answer = cli("badges", "issuer-update", issuer.public_id, "--email", "nope")
    assert code == 1 and answer["error"] == "invalid" and "email" in answer["message"]
    code, answer = cli("badges", "issuer-update", issuer.public_id)
    assert code == 1 and "nothing to change" in answer["message"]
    code, _answer = cli("badges", "issuer-update", issuer.public_id, "--image-url", "")
    db.session.refresh(issuer)
    assert (
        code == 0
        and issuer.image_url is None
        and json.dumps(documents.ob2_issuer(issuer)).count("image") == 0
    )
