"""Encryption at rest for private keys, with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class SecretBoxError(Exception):
    """A stored secret could not be decrypted (wrong SECRET_KEY or damaged data)."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"badgebridge-secret-box", info=b"keys-at-rest"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(data: bytes, secret_key: str | None = None) -> str:
    """Encrypt bytes with the app's SECRET_KEY; returns a text token."""
    return _fernet(secret_key or current_app.config["SECRET_KEY"]).encrypt(data).decode()


def decrypt(token: str, secret_key: str | None = None) -> bytes:
    """Decrypt a token made by :func:`encrypt`."""
    try:
        return _fernet(secret_key or current_app.config["SECRET_KEY"]).decrypt(token.encode())
    except InvalidToken as exc:
        raise SecretBoxError("cannot decrypt a stored key: was SECRET_KEY changed?") from exc
