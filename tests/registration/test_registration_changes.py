"""A registration changes only with an admin's consent, and every change of whom it trusts
(endpoints, keys, deployments) is in the audit trail with its before and after."""

from __future__ import annotations

import json

import requests
from sqlalchemy import select

from app.audit import SYSTEM
from app.audit.models import AuditRecord
from app.extensions import db
from app.models import Registration, RegistrationChange
from tests.registration.conftest import register_url
from tests.support.admin import csrf_of


def _audit(action: str) -> list[dict]:
    return [
        json.loads(r.data_json)
        for r in db.session.scalars(
            select(AuditRecord).filter_by(action=action).order_by(AuditRecord.seq)
        )
    ]


def _registered_and_active(client, platform, admin=None):
    behaviour, config_url = platform("moodle", client_id="c-1", deployment_id="4")
    assert client.get(register_url(config_url)).status_code == 200
    row = db.session.scalars(select(Registration)).one()
    row.status = "active"
    db.session.commit()
    return behaviour, config_url, row


def _announce_attacker_endpoints(behaviour, config_url: str) -> dict:
    """What an attacker with a hostable JSON file (or an open redirect) on the LMS's origin
    serves: the LMS's own configuration with their key set and token endpoint in it."""
    config = requests.get(config_url, timeout=5).json()
    base = config_url.split("/mod/")[0]
    config["jwks_uri"] = base + "/pluginfile.php/attacker/jwks.json"
    config["token_endpoint"] = base + "/pluginfile.php/attacker/token"
    behaviour.config_body = json.dumps(config)
    return config


def test_registering_again_cannot_rewrite_a_live_registration(client, platform):
    behaviour, config_url, row = _registered_and_active(client, platform)
    before = (row.key_set_url, row.auth_token_url, row.auth_login_url, row.status)
    _announce_attacker_endpoints(behaviour, config_url)

    response = client.get(register_url(config_url))

    db.session.expire_all()
    row = db.session.scalars(select(Registration)).one()
    assert (row.key_set_url, row.auth_token_url, row.auth_login_url, row.status) == before
    assert response.status_code == 200
    assert "wait for a Badgebridge administrator" in response.text
    change = db.session.scalars(select(RegistrationChange)).one()
    assert change.status == "pending"
    [proposed] = _audit("registration.change_proposed")
    assert proposed["changes"]["key_set_url"]["to"].endswith("/attacker/jwks.json")
    assert proposed["changes"]["key_set_url"]["from"] == before[0]


def test_the_same_details_again_change_nothing(client, platform):
    _behaviour, config_url, _row = _registered_and_active(client, platform)
    response = client.get(register_url(config_url))
    assert response.status_code == 200 and "nothing changed" in response.text
    assert db.session.scalars(select(RegistrationChange)).all() == []


def test_admin_sees_the_diff_and_approves(client, platform, admin):
    behaviour, config_url, row = _registered_and_active(client, platform)
    evil = _announce_attacker_endpoints(behaviour, config_url)
    client.get(register_url(config_url))

    index = admin.get("/admin/")
    assert "change waiting for approval" in index.text
    page = admin.get(f"/admin/registrations/{row.public_id}")
    assert "Change waiting for approval" in page.text
    assert row.key_set_url in page.text and evil["jwks_uri"] in page.text
    change = db.session.scalars(select(RegistrationChange)).one()
    url = f"/admin/registrations/{row.public_id}/changes/{change.public_id}"
    assert admin.post(url, data={"decision": "approve"}).status_code == 400  # no CSRF token
    response = admin.post(url, data={"decision": "approve", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 302

    db.session.expire_all()
    row = db.session.scalars(select(Registration)).one()
    assert row.key_set_url == evil["jwks_uri"] and row.auth_token_url == evil["token_endpoint"]
    assert db.session.get(RegistrationChange, change.id).status == "approved"
    [approved] = _audit("registration.change_approved")
    assert approved["changes"]["key_set_url"]["to"] == evil["jwks_uri"]
    assert "Change waiting" not in admin.get(f"/admin/registrations/{row.public_id}").text


def test_admin_rejects_and_nothing_changes(client, platform, admin):
    behaviour, config_url, row = _registered_and_active(client, platform)
    key_set_url = row.key_set_url
    _announce_attacker_endpoints(behaviour, config_url)
    client.get(register_url(config_url))
    change = db.session.scalars(select(RegistrationChange)).one()
    page = admin.get(f"/admin/registrations/{row.public_id}")
    admin.post(
        f"/admin/registrations/{row.public_id}/changes/{change.public_id}",
        data={"decision": "reject", "csrf_token": csrf_of(page.text)},
    )
    db.session.expire_all()
    assert db.session.scalars(select(Registration)).one().key_set_url == key_set_url
    assert db.session.get(RegistrationChange, change.id).status == "rejected"
    [rejected] = _audit("registration.change_rejected")
    assert rejected["changes"]["key_set_url"]["from"] == key_set_url


def test_a_console_edit_is_audited_with_before_and_after(admin):
    page = admin.get("/admin/registrations/new")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": "Moodle",
        "issuer": "https://moodle.example.edu",
        "client_id": "abc",
        "auth_login_url": "https://moodle.example.edu/auth",
        "auth_token_url": "https://moodle.example.edu/token",
        "key_set_url": "https://moodle.example.edu/certs",
        "deployment_id": "1",
    }
    admin.post("/admin/registrations/new", data=form)
    row = db.session.scalars(select(Registration)).one()
    form["key_set_url"] = "https://moodle.example.edu/new-certs"
    admin.post(f"/admin/registrations/{row.public_id}", data=form)
    [updated] = _audit("registration.updated")
    assert updated["changes"] == {
        "key_set_url": {
            "from": "https://moodle.example.edu/certs",
            "to": "https://moodle.example.edu/new-certs",
        }
    }


def test_a_cli_change_is_audited_with_before_and_after(runner):
    args = [
        "lti",
        "add-platform",
        "--issuer",
        "https://lms.example.edu",
        "--client-id",
        "x",
        "--auth-login-url",
        "https://lms.example.edu/auth",
        "--auth-token-url",
        "https://lms.example.edu/token",
        "--key-set-url",
        "https://lms.example.edu/jwks",
    ]
    assert runner.invoke(args=args).exit_code == 0
    args[-1] = "https://elsewhere.example.net/jwks"
    assert runner.invoke(args=args).exit_code == 0
    first, second = _audit("registration.saved")
    assert "changes" not in first  # a new registration: its state is the record
    assert second["changes"] == {
        "key_set_url": {
            "from": "https://lms.example.edu/jwks",
            "to": "https://elsewhere.example.net/jwks",
        }
    }


def test_inline_key_sets_are_audited_by_kid_and_fingerprint(app):
    from app.registrations.operations import PlatformSpec, save_platform

    spec = dict(
        issuer="https://lms.example.edu",
        client_id="k",
        auth_login_url="https://a",
        auth_token_url="https://t",
    )
    save_platform(
        PlatformSpec(**spec, key_set={"keys": [{"kid": "one", "kty": "RSA"}]}), actor=SYSTEM
    )
    save_platform(
        PlatformSpec(**spec, key_set={"keys": [{"kid": "two", "kty": "RSA"}]}), actor=SYSTEM
    )
    change = _audit("registration.saved")[1]["changes"]["key_set"]
    assert change["from"].startswith("kid one; sha256 ")
    assert change["to"].startswith("kid two; sha256 ")
