"""Console sign-in security: throttling, server-side sessions, TOTP with recovery codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from freezegun import freeze_time
from sqlalchemy import select

from app.admin.models import AdminSession, AdminUser
from app.extensions import db
from app.models.base import utcnow
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_of


def _login(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, address="198.51.100.7"):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_passwords_for_an_account_wait_longer_each_time(client, admin_user):
    start = utcnow()
    with freeze_time(start) as clock:
        assert [_login(client, password="wrong").status_code for _ in range(3)] == [401] * 3
        fourth = _login(client, password="wrong")
        assert fourth.status_code == 401
        # Now even the right password waits, unchecked, and the page says how long.
        refused = _login(client)
        assert refused.status_code == 429 and "Wait 2 seconds" in refused.text
        assert _login(client, address="203.0.113.1").status_code == 429  # the account waits
        clock.tick(timedelta(seconds=3))
        assert _login(client, password="wrong").status_code == 401
        assert "Wait 4 seconds" in _login(client).text  # the delay doubled
        clock.tick(timedelta(seconds=5))
        assert _login(client).status_code == 302
        # A success clears the account's count.
        assert _login(client, password="wrong").status_code == 401
        assert _login(client).status_code == 302


def test_many_accounts_tried_from_one_address_are_throttled(client, admin_user):
    for i in range(10):
        assert _login(client, email=f"guess{i}@example.edu", password="x").status_code == 401
    assert _login(client, email="another@example.edu", password="x").status_code == 401
    assert _login(client).status_code == 429
    assert _login(client, address="203.0.113.5").status_code == 302


def test_a_copied_cookie_dies_at_sign_out(admin):
    stolen = admin.get_cookie("badgebridge_admin", path="/admin").value
    token = csrf_of(admin.get("/admin/").text)
    admin.post("/admin/logout", data={"csrf_token": token})
    admin.set_cookie("badgebridge_admin", stolen, path="/admin")
    assert admin.get("/admin/").status_code == 302
    assert db.session.scalars(select(AdminSession)).one().revoked_at is not None


def _enrol(client) -> tuple[str, list[str]]:
    token = csrf_of(client.get("/admin/account").text)
    page = client.post("/admin/account", data={"action": "start", "csrf_token": token})
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)
    wrong = client.post(
        "/admin/account",
        data={
            "action": "confirm",
            "secret": secret,
            "code": "000000",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert wrong.status_code == 400 and "does not match" in wrong.text
    done = client.post(
        "/admin/account",
        data={
            "action": "confirm",
            "secret": secret,
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{10}-[0-9a-f]{10})</code>", done.text)
    assert len(codes) == 10
    return secret, codes


def _second_factor(client, code: str):
    page = client.get("/admin/login/second-factor")
    return client.post(
        "/admin/login/second-factor", data={"code": code, "csrf_token": csrf_of(page.text)}
    )


def test_totp_enrolment_then_sign_in_needs_a_fresh_code_or_a_recovery_code(admin):
    with freeze_time(utcnow()) as clock:
        _totp_journey(admin, clock)


def _totp_journey(admin, clock) -> None:
    secret, codes = _enrol(admin)
    clock.tick(timedelta(seconds=30))  # the enrolment's code is spent: wait for the next one
    user = db.session.scalars(select(AdminUser)).one()
    assert user.totp_enabled and codes[0] not in str(user.recovery_code_hashes)
    admin.post("/admin/logout", data={"csrf_token": csrf_of(admin.get("/admin/").text)})

    first = _login(admin)
    assert first.status_code == 302 and "/admin/login/second-factor" in first.location
    assert admin.get("/admin/").status_code == 302  # the password alone opens nothing
    assert _second_factor(admin, "123456").status_code == 401
    code = pyotp.TOTP(secret).now()
    assert _second_factor(admin, code).status_code == 302
    assert admin.get("/admin/").status_code == 200

    # The same code cannot open a second session (replay); a recovery code can, once.
    admin.post("/admin/logout", data={"csrf_token": csrf_of(admin.get("/admin/").text)})
    _login(admin)
    assert _second_factor(admin, code).status_code == 401
    assert _second_factor(admin, codes[0]).status_code == 302
    admin.post("/admin/logout", data={"csrf_token": csrf_of(admin.get("/admin/").text)})
    _login(admin)
    assert _second_factor(admin, codes[0]).status_code == 401


def test_second_factor_guesses_are_throttled(admin):
    _enrol(admin)
    admin.post("/admin/logout", data={"csrf_token": csrf_of(admin.get("/admin/").text)})
    _login(admin)
    answers = [_second_factor(admin, "000000").status_code for _ in range(5)]
    assert answers[:4] == [401] * 4 and answers[4] == 429


def test_totp_from_the_command_line(app, runner, admin_user, monkeypatch):
    secret = pyotp.random_base32()
    monkeypatch.setattr(pyotp, "random_base32", lambda: secret)
    result = runner.invoke(
        args=["admin", "totp-enroll", "--email", ADMIN_EMAIL, "--code", pyotp.TOTP(secret).now()]
    )
    assert result.exit_code == 0, result.output
    assert (
        secret in result.output
        and len(re.findall(r"^[0-9a-f]{10}-[0-9a-f]{10}$", result.output, re.M)) == 10
    )
    assert db.session.get(AdminUser, admin_user.id).totp_enabled
    result = runner.invoke(args=["admin", "totp-disable", "--email", ADMIN_EMAIL])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(AdminUser, admin_user.id).totp_enabled


def test_sessions_end_after_half_a_day_and_old_rows_go(client, admin_user):
    with freeze_time(utcnow()) as clock:
        assert _login(client).status_code == 302
        clock.tick(timedelta(hours=12, minutes=1))
        assert client.get("/admin/").status_code == 302
        assert _login(client).status_code == 302
        assert client.get("/admin/").status_code == 200
        assert len(db.session.scalars(select(AdminSession)).all()) == 1
