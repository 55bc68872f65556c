"""What changes an issuer: its profile and its signing keys (created, rotated, decrypted once
per process for signing).

Callable without a request (CLI, API views, background jobs); each function commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from flask_babel import gettext as _
from sqlalchemy import select

from app import secret_box
from app.extensions import db
from app.models.base import utcnow
from app.openbadges import documents
from app.openbadges.errors import OperationError
from app.openbadges.keys import p256_public_multikey, public_multikey
from app.openbadges.models import (
    Assertion,
    Issuer,
    IssuerKey,
    KeyAlgorithm,
    KeyStatus,
)
from app.openbadges.signing import (
    JwtSigner,
    SigningKey,
    make_jwt_signer,
    make_signing_key,
    sign_jwt,
)

# VC-JWT algorithms and the key each signs with; ES256 is the default (1EdTech's validator
# accepts RS256 and ES256 only), EdDSA is there for callers that ask for it.
JWT_ALGORITHMS = {"ES256": KeyAlgorithm.P256, "EdDSA": KeyAlgorithm.ED25519}
DEFAULT_JWT_ALG = "ES256"


def _new_key(issuer: Issuer, algorithm: str = KeyAlgorithm.ED25519) -> IssuerKey:
    if algorithm == KeyAlgorithm.P256:
        private_p256 = ec.generate_private_key(ec.SECP256R1())
        public = p256_public_multikey(private_p256.public_key())
        raw = private_p256.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    else:
        private = Ed25519PrivateKey.generate()
        public = public_multikey(private.public_key())
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = IssuerKey(
        public_key_multibase=public,
        algorithm=algorithm,
        private_key_encrypted=secret_box.encrypt(raw),
        status=KeyStatus.ACTIVE,
    )
    issuer.keys.append(key)
    return key


def _load_private(key: IssuerKey) -> Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
    raw = secret_box.decrypt(key.private_key_encrypted)
    if key.algorithm == KeyAlgorithm.P256:
        private = load_der_private_key(raw, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise OperationError("no_key", _("a stored P-256 key is not an EC key"))
        return private
    return Ed25519PrivateKey.from_private_bytes(raw)


def find_issuer(registration_id: int | None, context_id: int | None = None) -> Issuer | None:
    """The issuer that awards a course's badges: the course's own override, else the
    institution's (its registration's); None when neither exists."""
    query = select(Issuer).where(Issuer.registration_id == registration_id)
    scopes = ([Issuer.context_id == context_id] if context_id else []) + [
        Issuer.context_id.is_(None)
    ]
    for scope in scopes:
        issuer = db.session.scalar(query.where(scope).order_by(Issuer.id))
        if issuer is not None:
            return issuer
    return None


def create_issuer(
    name: str,
    url: str,
    email: str,
    *,
    registration_id: int | None = None,
    context_id: int | None = None,
    description: str = "",
    image_url: str | None = None,
) -> Issuer:
    """Create an issuer with fresh signing keys (Ed25519 and P-256)."""
    issuer = Issuer(
        name=name,
        url=url,
        email=email,
        registration_id=registration_id,
        context_id=context_id,
        description=description,
        image_url=image_url,
    )
    _check_issuer(issuer)
    _new_key(issuer, KeyAlgorithm.ED25519)
    _new_key(issuer, KeyAlgorithm.P256)
    db.session.add(issuer)
    db.session.commit()
    return issuer


ISSUER_FIELDS = ("name", "url", "email", "description", "image_url")


def _check_issuer(issuer: Issuer) -> None:
    """Trim and validate an issuer's profile; OperationError names the field."""
    for name in ISSUER_FIELDS:
        value = getattr(issuer, name)
        setattr(issuer, name, value.strip() if isinstance(value, str) else value)
    for label in ("name", "url", "email"):
        if not getattr(issuer, label):
            raise OperationError("invalid", _("issuer %(label)s is required", label=label))
    if len(issuer.name) > 300:
        raise OperationError("invalid", _("issuer name has at most 300 characters"))
    for label in ("url", "image_url"):
        value = getattr(issuer, label)
        if value and (
            not value.startswith(("https://", "http://"))
            or len(value) > 1000
            or any(c.isspace() for c in value)
        ):
            raise OperationError(
                "invalid",
                _("issuer %(value)s must be an http(s) URL", value=label.replace("_", " ")),
            )
    if "@" not in issuer.email or len(issuer.email) > 320 or " " in issuer.email:
        raise OperationError("invalid", _("issuer email must be an email address"))
    issuer.image_url = issuer.image_url or None


def update_issuer(issuer: Issuer, **changes: str | None) -> Issuer:
    """Change an issuer's profile (name, url, email, description, image_url); commits.

    Documents served from now on show it (OB 2.0 profile, achievements); credentials already
    signed keep the profile they were issued with.
    """
    unknown = set(changes) - set(ISSUER_FIELDS)
    if unknown:
        raise OperationError(
            "invalid", _("cannot change %(unknown)s", unknown=", ".join(sorted(unknown)))
        )
    for name, value in changes.items():
        setattr(issuer, name, value or "")  # an empty image_url removes the image
    _check_issuer(issuer)
    db.session.commit()
    return issuer


def save_issuer_profile(
    registration_id: int, context_id: int | None, **fields: str | None
) -> Issuer:
    """The issuer of exactly this scope (an institution, or a course's override of it)
    updated with ``fields``, created with them when it has none yet; commits."""
    issuer = db.session.scalar(
        select(Issuer)
        .where(
            Issuer.registration_id == registration_id,
            Issuer.context_id == context_id if context_id else Issuer.context_id.is_(None),
        )
        .order_by(Issuer.id)
    )
    if issuer is not None:
        return update_issuer(issuer, **fields)
    return create_issuer(
        fields.get("name") or "",
        fields.get("url") or "",
        fields.get("email") or "",
        registration_id=registration_id,
        context_id=context_id,
        description=fields.get("description") or "",
        image_url=fields.get("image_url") or None,
    )


def rotate_key(issuer: Issuer, now: datetime | None = None) -> IssuerKey:
    """Start signing with new keys (Ed25519 and P-256); the old ones stay published so old
    credentials verify. Returns the new Ed25519 key (the one Data Integrity proofs name)."""
    for key in issuer.keys:
        if key.status == KeyStatus.ACTIVE:
            key.status = KeyStatus.RETIRED
            key.retired_at = now or utcnow()
    key = _new_key(issuer, KeyAlgorithm.ED25519)
    _new_key(issuer, KeyAlgorithm.P256)
    db.session.commit()
    return key


_signers: dict[tuple[int, str, str], SigningKey | JwtSigner] = {}
_signers_lock = threading.Lock()


def _active_key(issuer: Issuer, algorithm: str) -> IssuerKey:
    keys = [k for k in issuer.keys if k.algorithm == algorithm]
    active = [k for k in keys if k.status == KeyStatus.ACTIVE]
    if not active and not keys and algorithm == KeyAlgorithm.P256:
        # Issuers created before ES256 get their P-256 key with their first JWT; it is
        # published in the same transaction as what it signs.
        return _new_key(issuer, algorithm)
    if not active:
        raise OperationError(
            "no_key",
            _("issuer %(public_id)s has no active signing key", public_id=issuer.public_id),
        )
    return active[-1]


def _cached(key: IssuerKey, kind: str, build: Callable[[Any], SigningKey | JwtSigner]) -> Any:
    # Decrypted once per process (issuing a cohort signs a lot); a new key has no id yet.
    cache_key = (key.id or 0, key.private_key_encrypted, kind)
    signer = _signers.get(cache_key)
    if signer is None:
        signer = build(_load_private(key))
        with _signers_lock:
            _signers[cache_key] = signer
    return signer


def signing_key(issuer: Issuer) -> tuple[IssuerKey, SigningKey]:
    """The issuer's active Ed25519 key, for Data Integrity proofs."""
    key = _active_key(issuer, KeyAlgorithm.ED25519)
    return key, _cached(
        key,
        "di",
        lambda private: make_signing_key(private, documents.verification_method(issuer, key)),
    )


def jwt_signer(issuer: Issuer, alg: str = DEFAULT_JWT_ALG) -> JwtSigner:
    """The issuer's active key for VC-JWTs of ``alg`` (ES256 by default, or EdDSA)."""
    if alg not in JWT_ALGORITHMS:
        raise OperationError(
            "invalid", _("JWT algorithm must be one of %(value)s", value=", ".join(JWT_ALGORITHMS))
        )
    key = _active_key(issuer, JWT_ALGORITHMS[alg])
    return _cached(
        key, "jwt", lambda private: make_jwt_signer(private, documents.key_jwk_url(issuer, key))
    )


def credential_jwt(assertion: Assertion, alg: str = DEFAULT_JWT_ALG) -> str:
    """An assertion's VC-JWT: the one signed at issue (ES256), or signed now with ``alg``."""
    if alg == DEFAULT_JWT_ALG and assertion.credential_jwt:
        return assertion.credential_jwt
    unsigned = {k: v for k, v in assertion.credential.items() if k != "proof"}
    return sign_jwt(unsigned, jwt_signer(assertion.badge.issuer, alg))
