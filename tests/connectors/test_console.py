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
