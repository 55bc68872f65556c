"""The tool's RSA key pairs: stored in the database, private halves encrypted at rest.

One key is *active* (signs client assertions and deep linking responses); keys being rotated
out stay *retiring* (still published in the JWKS, so platforms can verify what they signed)
until their overlap ends.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select

from app.database import retry_on_lock
from app.extensions import db
from app.models import ToolKey
from app.models.base import utcnow
from app.secret_box import decrypt, encrypt

DEFAULT_OVERLAP = timedelta(days=7)


def _new_key_row() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = secrets.token_hex(12)
    jwk = json.loads(JWK.from_pem(pem).export_public())
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_key_encrypted=encrypt(pem), public_jwk=jwk, status="active")


@retry_on_lock
def active_key() -> ToolKey:
    """The signing key, created on first use."""
    key = db.session.scalars(
        select(ToolKey).where(ToolKey.status == "active").order_by(ToolKey.id.desc())
    ).first()
    if key is None:
        key = _new_key_row()
        db.session.add(key)
        db.session.commit()
    return key


def private_pem(key: ToolKey) -> str:
    """The decrypted PEM of a key's private half."""
    return decrypt(key.private_key_encrypted).decode()


def private_key(key: ToolKey) -> rsa.RSAPrivateKey:
    """The key object of a key's private half, decrypted and parsed once per process.

    Parsing an RSA PEM checks the key (about 40 ms with OpenSSL 3), which every deep linking
    response and access token request would otherwise pay; the cache is keyed by the stored
    ciphertext, so a rotated or re-encrypted key is parsed afresh.
    """
    return _parsed(key.private_key_encrypted)


@lru_cache(maxsize=8)
def _parsed(encrypted: str) -> rsa.RSAPrivateKey:
    private = serialization.load_pem_private_key(decrypt(encrypted), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)  # the tool's keys are RSA (RS256)
    return private


def published_jwks() -> dict[str, list[dict[str, Any]]]:
    """All keys a platform may need to verify our signatures: active and retiring."""
    retire_expired()
    active_key()
    keys = db.session.scalars(
        select(ToolKey).where(ToolKey.status.in_(("active", "retiring"))).order_by(ToolKey.id)
    ).all()
    return {"keys": [dict(k.public_jwk) for k in keys]}


def rotate(overlap: timedelta = DEFAULT_OVERLAP) -> ToolKey:
    """Add a new signing key; the old ones keep verifying for ``overlap``, then retire."""
    now = utcnow()
    for old in db.session.scalars(select(ToolKey).where(ToolKey.status == "active")):
        old.status = "retiring"
        old.retire_after = now + overlap
    key = _new_key_row()
    db.session.add(key)
    db.session.commit()
    return key


def retire_expired() -> int:
    """Retire keys whose overlap has ended; returns how many."""
    now = utcnow()
    rows = db.session.scalars(select(ToolKey).where(ToolKey.status == "retiring")).all()
    done = 0
    for row in rows:
        retire_after = row.retire_after
        if retire_after is None or retire_after <= now:
            row.status = "retired"
            done += 1
    if done:
        db.session.commit()
    return done
