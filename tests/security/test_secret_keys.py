"""SECRET_KEY is never used as is: separate derived keys sign tokens and encrypt secrets at rest,
and a key ring with `flask secrets rotate` changes it without losing a stored secret."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.grades.pushed import event_secret
from app.launch_session import LaunchSession, read_token
from app.models import ToolKey
from app.secret_box import SecretBoxError, decrypt, encrypted_columns
from lti import keys
from tests.factories import RegistrationFactory

OLD, NEW = "old-secret-key-" + "x" * 32, "new-secret-key-" + "y" * 32


@pytest.fixture
def old_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "SECRET_KEY", OLD)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    return app


def test_launch_tokens_are_not_signed_with_the_secret_key_itself(old_key):
    token = LaunchSession(1, 1, 1, 1, False).token()
    with pytest.raises(BadSignature):
        URLSafeTimedSerializer(OLD, salt="badgebridge-launch-token").loads(token)


def test_every_encrypted_column_is_rotated():
    names = {(model.__tablename__, attr) for model, attr in encrypted_columns()}
    assert {
        ("tool_key", "private_key_encrypted"),
        ("ob_issuer_key", "private_key_encrypted"),
        ("webhook_subscription", "secret_encrypted"),
        ("grade_event_secret", "secret_encrypted"),
    } <= names


def test_rotation_keeps_every_secret_and_tokens(old_key, runner):
    app = old_key
    tool_key = keys.active_key()
    registration = RegistrationFactory()
    secret = event_secret(registration.id)
    token = LaunchSession(1, 1, 1, 1, True).token()

    # The new key alone cannot open what the old one sealed...
    app.config["SECRET_KEY"] = NEW
    with pytest.raises(SecretBoxError):
        decrypt(tool_key.private_key_encrypted)
    # ...with the old key in the fallbacks, everything opens and old tokens still verify.
    app.config["SECRET_KEY_FALLBACKS"] = [OLD]
    assert event_secret(registration.id) == secret
    assert read_token(token).is_staff is True

    result = runner.invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "tool_key: 1 re-encrypted" in result.output
    assert "grade_event_secret: 1 re-encrypted" in result.output
    again = runner.invoke(args=["secrets", "rotate"])
    assert "tool_key: 0 re-encrypted" in again.output  # nothing left under the old key

    # The old key can now leave the ring: every stored secret is under the new one.
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert event_secret(registration.id) == secret
    stored = ToolKey.query.filter_by(kid=tool_key.kid).one()
    assert decrypt(stored.private_key_encrypted)
    assert keys.published_jwks()["keys"]
