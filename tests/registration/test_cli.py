"""``flask admin create-user`` and ``flask lti list|approve|disable``."""

from __future__ import annotations

import json

from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.audit import SYSTEM
from app.extensions import db
from app.models import AdminUser, Registration
from app.registrations.operations import PlatformSpec, save_platform


def _registration(status: str = "pending") -> Registration:
    return save_platform(
        PlatformSpec(
            issuer="https://moodle.example.edu",
            client_id="abc",
            auth_login_url="https://moodle.example.edu/mod/lti/auth.php",
            auth_token_url="https://moodle.example.edu/mod/lti/token.php",
            key_set_url="https://moodle.example.edu/mod/lti/certs.php",
            deployment_ids=("4",),
            name="Moodle",
            status=status,
        ),
        actor=SYSTEM,
    )


def test_create_user_hashes_the_password(runner):
    result = runner.invoke(
        args=[
            "admin",
            "create-user",
            "--email",
            "Ada@Example.edu",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(AdminUser)).one()
    assert user.email == "ada@example.edu"
    assert user.password_hash != "a long enough password"
    assert check_password_hash(user.password_hash, "a long enough password")


def test_create_user_generates_a_password_when_none_given(runner):
    result = runner.invoke(args=["admin", "create-user", "--email", "ada@example.edu"])
    assert result.exit_code == 0
    password = result.output.split("password: ")[1].strip()
    user = db.session.scalars(select(AdminUser)).one()
    assert check_password_hash(user.password_hash, password)


def test_create_user_refuses_duplicates_and_short_passwords(runner):
    runner.invoke(args=["admin", "create-user", "--email", "ada@example.edu"])
    again = runner.invoke(args=["admin", "create-user", "--email", "ada@example.edu"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        args=["admin", "create-user", "--email", "b@example.edu", "--password", "short"]
    )
    assert short.exit_code != 0 and "12 characters" in short.output


def test_list_approve_disable(runner):
    row = _registration()
    listed = runner.invoke(args=["lti", "list"])
    assert "pending" in listed.output and "https://moodle.example.edu" in listed.output
    assert "deployments: 4" in listed.output

    assert runner.invoke(args=["lti", "approve", str(row.id)]).exit_code == 0
    db.session.refresh(row)
    assert row.status == "active"

    assert runner.invoke(args=["lti", "disable", row.public_id]).exit_code == 0
    db.session.refresh(row)
    assert row.status == "disabled"

    data = json.loads(runner.invoke(args=["lti", "list", "--json"]).output)
    assert data[0]["status"] == "disabled" and data[0]["deployments"][0]["deployment_id"] == "4"


def test_approve_unknown_registration_fails_cleanly(runner):
    result = runner.invoke(args=["lti", "approve", "999"])
    assert result.exit_code != 0 and "No registration 999" in result.output
