"""An admin sets a registration's gradebook connector in the console; the token is stored
encrypted, never shown back, and re-encrypted by ``flask secrets rotate``."""

from __future__ import annotations

from sqlalchemy import select

from app import secret_box
from app.extensions import db
from app.grades.models import Column
from app.grades.sync import sync_course
from app.models import GradebookConnector, Registration
from lti.sandbox import seed
from tests.grades.support import new_course
from tests.support.admin import csrf_of


def _page(_admin, registration: Registration) -> str:
    return f"/admin/connectors/{registration.public_id}"


def test_admin_enables_the_moodle_connector_and_the_course_gets_native_columns(
    app, registered, browser, admin
):
    db.session.close()  # end the sign-in's read snapshot: the launch writes from another thread
    course = new_course(registered, browser, "moodle", learners=2)
    seed.add_activity(registered.sandbox, "moodle", course.info.course_id, "Essay 1")
    seed.set_web_services(registered.sandbox, "moodle", rest_enabled=True)
    token = seed.create_ws_token(registered.sandbox, "moodle")
    registration = db.session.get(Registration, course.context.registration_id)
    listing = admin.get(f"/admin/registrations/{registration.public_id}")
    assert _page(admin, registration) in listing.text

    page = admin.get(_page(admin, registration))
    bad = admin.post(
        _page(admin, registration),
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "moodle",
            "base_url": "moodle.example",
            "token": token,
            "enabled": "on",
        },
    )
    assert bad.status_code == 422 and "Site URL" in bad.text
    saved = admin.post(
        _page(admin, registration),
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "moodle",
            "base_url": f"{registered.sandbox_url}/moodle",
            "token": token,
            "enabled": "on",
        },
    )
    assert saved.status_code == 302
    row = db.session.get(GradebookConnector, registration.id)
    assert token not in row.token_encrypted
    assert secret_box.decrypt(row.token_encrypted).decode() == token
    assert token not in admin.get(_page(admin, registration)).text

    sync_course(course.context.id)
    essay = db.session.scalars(
        select(Column).where(Column.context_id == course.context.id, Column.label == "Essay 1")
    ).one()
    assert essay.source == "moodle"

    # Saving again without a token keeps the stored one.
    admin.post(
        _page(admin, registration),
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "moodle",
            "base_url": f"{registered.sandbox_url}/moodle",
            "token": "",
            "enabled": "on",
        },
    )
    db.session.refresh(row)
    assert secret_box.decrypt(row.token_encrypted).decode() == token


def test_the_token_is_one_of_the_rotated_secrets(app):
    assert (GradebookConnector, "token_encrypted") in secret_box.encrypted_columns()


def test_admin_saves_a_canvas_developer_key_and_is_told_what_is_missing(app, registered, admin):
    registration = db.session.scalars(
        select(Registration).where(Registration.name == "canvas")
    ).one()
    page = admin.get(_page(admin, registration))
    assert "/connectors/canvas/callback" in page.text  # the redirect URI to give Canvas
    form = {
        "csrf_token": csrf_of(page.text),
        "kind": "canvas",
        "base_url": f"{registered.sandbox_url}/canvas",
        "auth": "oauth",
        "enabled": "on",
    }
    bad_id = admin.post(_page(admin, registration), data={**form, "client_id": "abc"})
    assert bad_id.status_code == 422 and "Client ID" in bad_id.text
    no_secret = admin.post(
        _page(admin, registration), data={**form, "client_id": "170000000000009"}
    )
    assert no_secret.status_code == 422 and "Client secret" in no_secret.text
    moodle = admin.post(
        _page(admin, registration),
        data={**form, "kind": "moodle", "client_id": "1", "client_secret": "s"},
    )
    assert moodle.status_code == 422 and "OAuth 2 is for Canvas" in moodle.text
    saved = admin.post(
        _page(admin, registration),
        data={
            **form,
            "client_id": "170000000000009",
            "client_secret": "the-secret",
            "enforce_scopes": "on",
        },
    )
    assert saved.status_code == 302
    row = db.session.get(GradebookConnector, registration.id)
    assert (row.auth, row.oauth_client_id, row.enforce_scopes) == ("oauth", "170000000000009", True)
    assert "the-secret" not in (row.oauth_secret_encrypted or "")
    assert secret_box.decrypt(row.oauth_secret_encrypted).decode() == "the-secret"
    assert "the-secret" not in admin.get(_page(admin, registration)).text
    # Leaving OAuth for a token needs the token.
    back = admin.post(_page(admin, registration), data={**form, "auth": "token"})
    assert back.status_code == 422 and "Token" in back.text
