"""The admin console: its own login, CSRF on every form, registrations, deployments, keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin import auth
from app.audit import SYSTEM
from app.extensions import db
from app.launch_session import LaunchSession
from app.models import Deployment, Registration, RegistrationSource, ToolKey
from app.registrations.operations import (
    PlatformSpec,
    RegistrationInput,
    create_registration,
    save_platform,
)
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_of


def _pending(**overrides) -> Registration:
    spec = dict(
        issuer="https://canvas.instructure.com",
        client_id="10000000000001",
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
        key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
        deployment_ids=("1:abc",),
        name="Canvas (test)",
        status="pending",
    )
    spec.update(overrides)
    return save_platform(PlatformSpec(**spec), actor=SYSTEM)


def _launch_token() -> str:
    return LaunchSession(
        registration_id=1, deployment_id=1, context_id=1, user_id=1, is_staff=True
    ).token()


@pytest.mark.parametrize("path", ["/admin/", "/admin/keys", "/admin/registrations/new"])
def test_console_requires_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_lti_launch_token_grants_nothing(client, app):
    token = _launch_token()
    for response in (
        client.get("/admin/", headers={"Authorization": f"Bearer {token}"}),
        client.get(f"/admin/?lt={token}"),
        client.get("/admin/", headers={"X-Launch-Token": token}),
    ):
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]
    # Nor does a launch token planted as the console cookie: another salt signs that.
    client.set_cookie(auth.COOKIE, token, path="/admin")
    assert client.get("/admin/").status_code == 302


def test_login_with_wrong_password_is_refused(client, admin_user):
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": "wrong", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "not right" in response.text
    assert client.get("/admin/").status_code == 302


def test_login_sets_a_strict_first_party_cookie(client, admin_user):
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login?next=/admin/keys",
        data={
            "email": ADMIN_EMAIL.upper(),
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/keys"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert client.get("/admin/").status_code == 200


def test_login_never_redirects_off_site(client, admin_user):
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login?next=//evil.example/",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.headers["Location"] == "/admin/"


def test_login_form_needs_its_csrf_token(client, admin_user):
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_password_change_ends_sessions(admin, runner):
    result = runner.invoke(
        args=["admin", "set-password", "--email", ADMIN_EMAIL, "--password", "a brand new password"]
    )
    assert result.exit_code == 0, result.output
    assert admin.get("/admin/").status_code == 302


def test_index_lists_registrations_and_the_tool_urls(admin):
    _pending()
    page = admin.get("/admin/").text
    assert "Canvas (test)" in page and "pending" in page and "1:abc" in page
    assert "never" in page  # last launch
    for url in (
        "http://localhost/lti/register",
        "http://localhost/lti/canvas.json",
        "http://localhost/lti/login",
        "http://localhost/lti/launch",
        "http://localhost/lti/jwks.json",
    ):
        assert url in page


def test_approve_and_disable_a_registration(admin):
    row = _pending()
    page = admin.get("/admin/")
    token = csrf_of(page.text)
    url = f"/admin/registrations/{row.public_id}/status"

    response = admin.post(url, data={"status": "active", "csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.status == "active"
    assert "is now active" in admin.get("/admin/").text

    admin.post(url, data={"status": "disabled", "csrf_token": token})
    db.session.refresh(row)
    assert row.status == "disabled"


def test_state_changes_without_csrf_token_are_refused(admin):
    row = _pending()
    url = f"/admin/registrations/{row.public_id}/status"
    assert admin.post(url, data={"status": "active"}).status_code == 400
    assert admin.post(url, data={"status": "active", "csrf_token": "forged"}).status_code == 400
    db.session.refresh(row)
    assert row.status == "pending"


def test_web_uses_public_ids_only(admin):
    row = _pending()
    assert admin.get(f"/admin/registrations/{row.id}").status_code == 404
    assert admin.get(f"/admin/registrations/{row.public_id}").status_code == 200


def test_approve_disable_and_add_deployments(admin):
    row = _pending(status="active")
    deployment = row.deployments[0]
    page = admin.get(f"/admin/registrations/{row.public_id}")
    token = csrf_of(page.text)
    base = f"/admin/registrations/{row.public_id}/deployments"

    admin.post(f"{base}/{deployment.id}/status", data={"status": "disabled", "csrf_token": token})
    db.session.refresh(deployment)
    assert deployment.status == "disabled"
    admin.post(f"{base}/{deployment.id}/status", data={"status": "active", "csrf_token": token})
    db.session.refresh(deployment)
    assert deployment.status == "active"

    admin.post(base, data={"deployment_id": "7:xyz", "csrf_token": token})
    assert {d.deployment_id for d in db.session.scalars(select(Deployment))} == {"1:abc", "7:xyz"}


def test_manual_registration_and_edit(admin):
    page = admin.get("/admin/registrations/new")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": "Our Moodle",
        "issuer": "https://moodle.example.edu",
        "client_id": "abc123",
        "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
        "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
        "deployment_id": "3",
    }
    response = admin.post("/admin/registrations/new", data=form)
    assert response.status_code == 302
    row = db.session.scalars(select(Registration)).one()
    assert (row.name, row.status) == ("Our Moodle", "active")
    assert [d.deployment_id for d in row.deployments] == ["3"]
    assert db.session.scalars(select(RegistrationSource)).one().method == "manual"

    again = admin.post("/admin/registrations/new", data=form)
    assert again.status_code == 422 and "exists" in again.text

    form.update(name="Moodle (production)", adopt_deployments="on", deployment_id="")
    admin.post(f"/admin/registrations/{row.public_id}", data=form)
    db.session.expire_all()
    row = db.session.scalars(select(Registration)).one()
    assert row.name == "Moodle (production)"
    assert db.session.scalars(select(RegistrationSource)).one().adopt_deployments
    assert row.institution_admins_are_staff is False  # off unless an admin opts in

    form.update(institution_admins_are_staff="on")
    admin.post(f"/admin/registrations/{row.public_id}", data=form)
    db.session.expire_all()
    assert db.session.scalars(select(Registration)).one().institution_admins_are_staff
    page = admin.get(f"/admin/registrations/{row.public_id}")
    assert (
        'id="institution_admins_are_staff" name="institution_admins_are_staff" '
        'type="checkbox" checked' in page.text
    )


def test_manual_registration_refuses_non_http_urls(admin):
    page = admin.get("/admin/registrations/new")
    response = admin.post(
        "/admin/registrations/new",
        data={
            "csrf_token": csrf_of(page.text),
            "issuer": "https://x.example",
            "client_id": "1",
            "auth_login_url": "javascript:alert(1)",
            "auth_token_url": "https://x.example/t",
            "key_set_url": "https://x.example/k",
        },
    )
    assert response.status_code == 422
    assert db.session.scalars(select(Registration)).all() == []


def test_keys_page_shows_and_rotates_keys(admin):
    page = admin.get("/admin/keys")
    old = db.session.scalars(select(ToolKey)).one()
    assert old.kid in page.text
    response = admin.post(
        "/admin/keys/rotate", data={"overlap_days": "2", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    statuses = {k.kid: k.status for k in db.session.scalars(select(ToolKey))}
    assert statuses[old.kid] == "retiring"
    [new_kid] = [kid for kid, status in statuses.items() if status == "active"]
    published = {k["kid"] for k in admin.get("/lti/jwks.json").get_json()["keys"]}
    assert published == {old.kid, new_kid}
    assert new_kid in admin.get("/admin/keys").text


def test_key_rotation_needs_csrf(admin):
    admin.get("/admin/keys")
    assert admin.post("/admin/keys/rotate", data={"overlap_days": "2"}).status_code == 400
    assert len(db.session.scalars(select(ToolKey)).all()) == 1


def test_logout(admin):
    token = csrf_of(admin.get("/admin/").text)
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_create_registration_operation_is_usable_without_a_request(app):
    row = create_registration(
        RegistrationInput(
            name="",
            issuer="https://lms.example",
            client_id="c",
            auth_login_url="https://lms.example/a",
            auth_token_url="https://lms.example/t",
            key_set_url="https://lms.example/k",
        ),
        actor=SYSTEM,
    )
    assert row.name == "https://lms.example" and row.status == "active"


def test_refused_registration_actions_tell_the_admin_why(admin):
    row = _pending(status="active")
    deployment = row.deployments[0]
    token = csrf_of(admin.get(f"/admin/registrations/{row.public_id}").text)
    base = f"/admin/registrations/{row.public_id}"
    refusals = [
        (f"{base}/status", {"status": "gone"}, "Unknown status"),
        (
            f"{base}/deployments",
            {"deployment_id": "1:abc"},
            "Deployment 1:abc is already registered.",
        ),
        (f"{base}/deployments", {"deployment_id": " "}, "The deployment ID is empty."),
        (
            f"{base}/deployments/{deployment.id + 1000}/status",
            {"status": "active"},
            "No such deployment in this registration.",
        ),
        (
            f"{base}/deployments/{deployment.id}/status",
            {"status": "pending"},
            "Unknown deployment status",
        ),
        (f"{base}/changes/nope", {"decision": "approve"}, "No such change for this registration."),
    ]
    for path, form, message in refusals:
        page = admin.post(path, data={**form, "csrf_token": token}, follow_redirects=True)
        assert page.status_code == 200 and message in page.text, path
    db.session.refresh(deployment)
    assert (row.status, deployment.status) == ("active", "active")
