"""Keys derived from SECRET_KEY: one per purpose, and a key ring for rotating SECRET_KEY.

SECRET_KEY is never used directly. HKDF derives a separate key per purpose (distinct ``info``
labels): one encrypts secrets at rest (private keys, webhook secrets), others sign tokens, so
a key that signs can never decrypt and the other way round.

Rotation: set the new ``SECRET_KEY`` and keep the old one in ``SECRET_KEY_FALLBACKS`` (Flask's
setting, newest first). Secrets encrypted under an old key still decrypt and tokens signed
with one still verify; ``flask secrets rotate`` re-encrypts every stored secret under the new
key, after which the old key can leave the fallbacks.
"""

from __future__ import annotations

import base64
import functools
import logging
from typing import Any

import click
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import Model, db

log = logging.getLogger(__name__)


class SecretBoxError(Exception):
    """A stored secret could not be decrypted (wrong SECRET_KEY or damaged data)."""


def key_ring() -> list[str]:
    """SECRET_KEY and its fallbacks, newest first."""
    current = current_app.config["SECRET_KEY"]
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [current, *[key for key in fallbacks if key and key != current]]


def derived_key(purpose: str, secret_key: str | None = None) -> bytes:
    """A 32-byte key for one purpose (e.g. ``launch-token``), derived from SECRET_KEY."""
    return _derive(purpose, secret_key or current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=64)
def _derive(purpose: str, secret: str) -> bytes:
    # A pure function of its arguments, asked on every request that signs or reads a token.
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"badgebridge-derived-key",
        info=b"badgebridge/" + purpose.encode(),
    ).derive(secret.encode())


def signing_keys(purpose: str) -> list[bytes]:
    """The keys for signing and verifying one kind of token, oldest first (itsdangerous signs
    with the last and verifies with any)."""
    return [derived_key(purpose, secret) for secret in reversed(key_ring())]


def _fernet(secret_key: str) -> Fernet:
    # The at-rest key's derivation predates the key ring; kept so stored secrets still open.
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"badgebridge-secret-box", info=b"keys-at-rest"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _ring(secret_key: str | None) -> MultiFernet:
    return MultiFernet([_fernet(key) for key in ([secret_key] if secret_key else key_ring())])


def encrypt(data: bytes, secret_key: str | None = None) -> str:
    """Encrypt bytes under the current SECRET_KEY's at-rest key; returns a text token."""
    return _fernet(secret_key or current_app.config["SECRET_KEY"]).encrypt(data).decode()


def decrypt(token: str, secret_key: str | None = None) -> bytes:
    """Decrypt a token made by :func:`encrypt` under any key of the ring."""
    try:
        return _ring(secret_key).decrypt(token.encode())
    except InvalidToken as exc:
        raise SecretBoxError(
            "cannot decrypt a stored secret: SECRET_KEY changed without the old key in "
            "SECRET_KEY_FALLBACKS?"
        ) from exc


def reencrypt(token: str) -> str | None:
    """The token re-encrypted under the current key, or None when it already is."""
    current = _fernet(current_app.config["SECRET_KEY"])
    try:
        current.decrypt(token.encode())
    except InvalidToken:
        pass
    else:
        return None
    try:
        return _ring(None).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretBoxError("a stored secret opens with no key of the ring") from exc


def encrypted_columns() -> list[tuple[Any, str]]:
    """Every stored secret: (model, attribute) for each mapped column named ``*_encrypted``
    (the convention for data this module encrypts), so a new secret is rotated too."""
    found: list[tuple[Any, str]] = []
    for mapper in sorted(Model.registry.mappers, key=lambda m: m.class_.__name__):
        for attr in mapper.column_attrs:
            if attr.key.endswith("_encrypted"):
                found.append((mapper.class_, attr.key))
    return found


def rotate_stored_secrets() -> dict[str, int]:
    """Re-encrypt every stored secret under the current SECRET_KEY; per table, how many rows
    changed. Safe to run again (rows already under the current key are left alone)."""
    counts: dict[str, int] = {}
    for model, attr in encrypted_columns():
        changed = 0
        for row in db.session.scalars(select(model)):
            token = getattr(row, attr)
            fresh = reencrypt(token) if token else None
            if fresh is not None:
                setattr(row, attr, fresh)
                changed += 1
        counts[model.__tablename__] = changed
    db.session.commit()
    log.info("secrets re-encrypted under the current SECRET_KEY: %s", counts)
    return counts


secrets_cli = AppGroup("secrets", help="Keys derived from SECRET_KEY and their rotation.")


@secrets_cli.command("rotate")
def rotate_command() -> None:
    """Re-encrypt stored secrets under SECRET_KEY (old keys in SECRET_KEY_FALLBACKS)."""
    try:
        counts = rotate_stored_secrets()
    except SecretBoxError as exc:
        raise click.ClickException(str(exc)) from exc
    for table, changed in counts.items():
        click.echo(f"{table}: {changed} re-encrypted")
    click.echo(
        "done: every stored secret is under the current SECRET_KEY; the old key can "
        "leave SECRET_KEY_FALLBACKS once every worker runs with the new one"
    )


def init_app(app: Flask) -> None:
    """Register the ``flask secrets`` commands."""
    app.cli.add_command(secrets_cli)
