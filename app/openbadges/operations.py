"""What changes Open Badges state: issuers and keys, badges and artwork, issuing, revoking.

Callable without a request (CLI, API views, background jobs). Functions that finish a unit
of work commit; ``issue_many(..., commit=False)``, ``revoke`` and ``accept`` work in the
caller's transaction, so ``app.awards`` adds what the change owes (decision, audit record,
outbox rows) to the same commit. This core imports neither the audit trail nor webhooks.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from app import secret_box
from app.database import CHUNK, as_utc, in_transaction, is_lock_conflict, upsert
from app.extensions import db
from app.models.base import new_public_id, utcnow
from app.openbadges import bitstring, documents
from app.openbadges.jsonld import ob3_schema
from app.openbadges.keys import p256_public_multikey, public_multikey
from app.openbadges.models import (
    STATUS_LIST_SIZE,
    Assertion,
    Badge,
    BadgeImage,
    BadgeStatus,
    ExpiryPolicy,
    Issuer,
    IssuerKey,
    KeyAlgorithm,
    KeyStatus,
    StatusList,
)
from app.openbadges.signing import (
    JwtSigner,
    SigningKey,
    add_proof,
    make_jwt_signer,
    make_signing_key,
    sign_jwt,
)
from app.openbadges.signing_pool import sign_many

if TYPE_CHECKING:  # the core only stores artwork; loading the renderer is not its business
    from badge_design.artwork import Artwork


class OperationError(ValueError):
    """A request that cannot be carried out; ``code`` is a stable machine-readable name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- issuers and keys --------------------------------------------------------------------------

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


# --- badges and artwork ------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An uploaded image file for a badge's artwork."""

    filename: str
    data: bytes


def save_artwork(badge: Badge, artwork: Artwork) -> BadgeImage:
    """Store finished artwork as the badge's next version; later awards use it.

    Nothing here draws: ``artwork`` was checked and rendered by ``badge_design.artwork``
    before the caller's transaction began, so no render ever runs while rows are locked.
    """
    if artwork.design is not None:
        badge.design = artwork.design
        badge.design_version = (badge.design_version or 0) + 1
    version = (badge.image_version or 0) + 1
    image = BadgeImage(
        badge_id=badge.id,
        version=version,
        svg=artwork.svg,
        png_512=artwork.png,
        png_128=artwork.thumbnail_png,
    )
    badge.image_version = version
    db.session.add(image)
    return image


def _check_alignments(alignments: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for item in alignments:
        if not item.get("name") or not str(item.get("url", "")).startswith(("http://", "https://")):
            raise OperationError("invalid", _("each alignment needs a name and an http(s) url"))
        out.append({k: str(item[k]) for k in ("name", "url", "framework") if item.get(k)})
    return out


def update_badge(badge: Badge, **changes: Any) -> Badge:
    """Change a badge's fields (validated); commits. Artwork goes through ``save_artwork``."""
    editable = {
        "name",
        "description",
        "criteria_narrative",
        "tags",
        "alignments",
        "expiry_policy",
        "expires_on",
        "expires_days",
        "status",
        "criteria",
        "enabled",
        "context_id",
        "evidence_shows_scores",
        "achievement_type",
        "language",
    }
    unknown = set(changes) - editable
    if unknown:
        raise OperationError(
            "invalid", _("cannot change %(unknown)s", unknown=", ".join(sorted(unknown)))
        )
    if "alignments" in changes:
        changes["alignments"] = _check_alignments(changes["alignments"] or [])
    for name, value in changes.items():
        setattr(badge, name, value)
    _check_badge(badge, expiry_changed=bool({"expiry_policy", "expires_on"} & set(changes)))
    db.session.commit()
    return badge


def _check_badge(badge: Badge, expiry_changed: bool = True) -> None:
    for label in ("name", "description", "criteria_narrative"):
        if not (getattr(badge, label) or "").strip():
            raise OperationError(
                "invalid", _("badge %(value)s is required", value=label.replace("_", " "))
            )
    if badge.status not in BadgeStatus.ALL:
        raise OperationError(
            "invalid", _("status must be one of %(value)s", value=", ".join(BadgeStatus.ALL))
        )
    if badge.expiry_policy not in ExpiryPolicy.ALL:
        raise OperationError(
            "invalid",
            _("expiry policy must be one of %(value)s", value=", ".join(ExpiryPolicy.ALL)),
        )
    if badge.expiry_policy == ExpiryPolicy.FIXED and badge.expires_on is None:
        raise OperationError("invalid", _("a fixed expiry needs a date"))
    if expiry_changed and fixed_expiry_passed(badge):
        # A date that passed while the badge was live is kept; choosing one is refused.
        raise OperationError(
            "expiry_in_past",
            _(
                "the fixed expiry date %(expires_on)s is in the past: every award would be "
                "expired at once",
                expires_on=badge.expires_on.strftime("%Y-%m-%d") if badge.expires_on else "",
            ),
        )
    if badge.expiry_policy == ExpiryPolicy.DAYS and not (badge.expires_days or 0) > 0:
        raise OperationError("invalid", _("an expiry in days needs a positive number of days"))
    if not isinstance(badge.tags, list) or not all(isinstance(t, str) for t in badge.tags):
        raise OperationError("invalid", _("tags must be a list of strings"))
    if badge.achievement_type not in achievement_types() and not _EXT_TYPE.fullmatch(
        badge.achievement_type or ""
    ):
        raise OperationError(
            "invalid",
            _(
                "achievement type must be one of Open Badges 3.0's "
                "(Badge, Certificate, Course, …) or ext:Name"
            ),
        )
    if not _LANGUAGE.fullmatch(badge.language or ""):
        raise OperationError("invalid", _("language must be a BCP 47 tag such as en or fr-CA"))


# OB 3.0 AchievementType extensions, and BCP 47 language tags (language[-subtags]).
_EXT_TYPE = re.compile(r"ext:[A-Za-z0-9._-]{1,56}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")


def achievement_types() -> list[str]:
    """OB 3.0's AchievementType vocabulary, as the bundled schema enumerates it."""
    return ob3_schema()["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"][0]["enum"]


def create_badge(
    issuer: Issuer,
    name: str,
    description: str,
    criteria_narrative: str,
    *,
    context_id: int | None = None,
    tags: Sequence[str] = (),
    alignments: Sequence[dict[str, str]] = (),
    expiry_policy: str = ExpiryPolicy.NONE,
    expires_on: datetime | None = None,
    expires_days: int | None = None,
    status: str = BadgeStatus.ACTIVE,
    criteria: dict[str, Any] | None = None,
    enabled: bool = False,
    achievement_type: str = "Badge",
    language: str = "en",
    artwork: Artwork,
) -> Badge:
    """Create a badge with ``artwork`` (rendered beforehand) as its first artwork version."""
    badge = Badge(
        issuer=issuer,
        name=(name or "").strip(),
        description=description or "",
        criteria_narrative=criteria_narrative or "",
        context_id=context_id,
        tags=list(tags),
        alignments=_check_alignments(alignments),
        expiry_policy=expiry_policy,
        expires_on=expires_on,
        expires_days=expires_days,
        status=status,
        criteria=criteria,
        enabled=enabled,
        image_version=0,
        design_version=0,
        achievement_type=achievement_type,
        language=language,
    )
    _check_badge(badge)
    db.session.add(badge)
    db.session.flush()
    save_artwork(badge, artwork)
    db.session.commit()
    return badge


# --- issuing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who receives an award: an LTI user and/or an email address."""

    email: str | None = None
    name: str = ""
    lti_user_id: int | None = None

    @property
    def key(self) -> str:
        """The identity the one-live-award rule is about."""
        if self.lti_user_id is not None:
            return f"user:{self.lti_user_id}"
        if self.email:
            return f"email:{normalize_email(self.email)}"
        raise OperationError("invalid", _("a recipient needs an email or an LTI user"))


@dataclass(frozen=True)
class Award:
    """One award request: the recipient, the evidence, an optional explicit expiry, and the
    scores behind it (``results``: ``{"criterion", "name", "percent"}``), signed into the
    credential only for badges whose instructor shows scores (``evidence_shows_scores``)."""

    recipient: Recipient
    evidence: Sequence[dict[str, Any]] = ()
    expires_at: datetime | None = None
    results: Sequence[dict[str, Any]] = ()


@dataclass
class Issued:
    """The live assertion for an award request; ``created`` is False when it already was."""

    assertion: Assertion
    created: bool = field(default=True)


def normalize_email(email: str) -> str:
    """Emails are compared and hashed trimmed and lower-cased."""
    return email.strip().lower()


def identity_hash(identity: str, salt: str) -> str:
    """OB ``sha256$`` hash of a recipient identity with its salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode()).hexdigest()


def _check_evidence(evidence: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in evidence:
        item = {
            k: str(entry[k]) for k in ("url", "name", "narrative", "description") if entry.get(k)
        }
        if "url" in item and not item["url"].startswith(("http://", "https://")):
            raise OperationError("invalid", _("evidence urls must be http(s) URLs"))
        if not item:
            raise OperationError("invalid", _("evidence needs a url, name or narrative"))
        out.append(item)
    return out


def expiry_for(badge: Badge, issued_on: datetime, explicit: datetime | None) -> datetime | None:
    """When an award issued at ``issued_on`` expires: an explicit date wins, else the badge's
    policy. OperationError (``expiry_before_issue``, ``expiry_in_past``) for a date that
    would make the credential expired from the start."""
    if explicit is not None:
        expires, source = as_utc(explicit), "the expiry date"
    elif badge.expiry_policy == ExpiryPolicy.FIXED and badge.expires_on:
        expires, source = badge.expires_on, "the badge's fixed expiry date"
    elif badge.expiry_policy == ExpiryPolicy.DAYS and badge.expires_days:
        return issued_on + timedelta(days=badge.expires_days)
    else:
        return None
    if expires <= utcnow():
        raise OperationError(
            "expiry_in_past",
            _(
                "%(source)s %(expires)s is in the past",
                source=source,
                expires=documents.iso(expires),
            ),
        )
    if expires <= issued_on:
        raise OperationError(
            "expiry_before_issue",
            _(
                "%(source)s %(expires)s is not after the award's issue date %(issued_on)s",
                source=source,
                expires=documents.iso(expires),
                issued_on=documents.iso(issued_on),
            ),
        )
    return expires


def fixed_expiry_passed(badge: Badge, now: datetime | None = None) -> bool:
    """True when the badge's fixed expiry date has passed: a new award would be expired."""
    return (
        badge.expiry_policy == ExpiryPolicy.FIXED
        and badge.expires_on is not None
        and badge.expires_on <= as_utc(now or utcnow())
    )


def _new_status_list(issuer: Issuer, now: datetime) -> StatusList:
    status_list = StatusList(
        issuer_id=issuer.id,
        size=STATUS_LIST_SIZE,
        allocated=0,
        scramble=secrets.randbelow(STATUS_LIST_SIZE),
    )
    db.session.add(status_list)
    db.session.flush()
    publish_status_list(status_list, now)
    return status_list


def _allocate(issuer: Issuer, count: int, now: datetime) -> tuple[StatusList, list[int]]:
    """Reserve ``count`` status-list slots with one atomic UPDATE … RETURNING."""
    current = db.session.scalar(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.id.desc())
        .limit(1)
    )
    for _attempt in range(2):
        if current is None:
            current = _new_status_list(issuer, now)
        end = db.session.execute(
            update(StatusList)
            .where(StatusList.id == current.id, StatusList.allocated + count <= StatusList.size)
            .values(allocated=StatusList.allocated + count)
            .returning(StatusList.allocated)
            .execution_options(synchronize_session=False)
        ).scalar()
        if end is not None:
            return current, [
                bitstring.scrambled_index(n, current.scramble, current.size)
                for n in range(end - count, end)
            ]
        current = None  # full: start the issuer's next list
    raise OperationError("status_list_full", _("could not allocate status list entries"))


def _live(badge: Badge, keys: Sequence[str]) -> dict[str, Assertion]:
    rows = db.session.scalars(
        select(Assertion).where(
            Assertion.badge_id == badge.id,
            Assertion.revoked_at.is_(None),
            Assertion.replaced_at.is_(None),
            Assertion.recipient_key.in_(keys),
        )
    )
    return {a.recipient_key: a for a in rows}


def _prepare(
    badge: Badge,
    award: Award,
    now: datetime,
    index: int,
    status_list: StatusList,
    achievement: dict[str, Any],
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """An assertion's unsigned OB 3.0 credential; its row (every column but the id and the
    signed documents) is appended to ``rows``."""
    recipient = award.recipient
    salt = secrets.token_hex(16)
    email = normalize_email(recipient.email) if recipient.email else None
    subject_id = f"urn:uuid:{uuid.uuid4()}"
    row = {
        "public_id": new_public_id(),
        "badge_id": badge.id,
        "lti_user_id": recipient.lti_user_id,
        "recipient_key": recipient.key,
        "recipient_email": email,
        "recipient_name": recipient.name or "",
        "salt": salt,
        "identity_hash": identity_hash(email or subject_id, salt),
        "subject_id": subject_id,
        "issued_on": now,
        "expires_at": expiry_for(badge, now, award.expires_at),
        "evidence": _check_evidence(award.evidence),
        "revoked_at": None,
        "revocation_reason": None,
        "replaced_at": None,
        "status_list_id": status_list.id,
        "status_index": index,
        "image_version": badge.image_version,
        "public": True,
        "accepted_at": None,
    }
    rows.append(row)
    results = award.results if badge.evidence_shows_scores else ()
    return documents.ob3_credential(row, achievement, status_list, results)


def issue_many(
    badge: Badge, awards: Sequence[Award], *, now: datetime | None = None, commit: bool = True
) -> list[Issued]:
    """Issue a badge to many recipients at once; idempotent per recipient.

    A recipient who already holds a live assertion of this badge gets it back
    (``created=False``); so does the loser of a concurrent race, thanks to the unique index.
    Results are in the order of ``awards``.
    """
    if not commit:
        return _issue_many(badge, awards, now)
    try:
        # When we commit, the whole transaction is ours to replay on a lock conflict.
        return in_transaction(lambda: _issue_many(badge, awards, now))
    except OperationalError as exc:
        if is_lock_conflict(exc):
            raise OperationError("busy", _("the database stayed locked; try again")) from exc
        raise


def _issue_many(badge: Badge, awards: Sequence[Award], now: datetime | None) -> list[Issued]:
    if badge.status != BadgeStatus.ACTIVE:
        raise OperationError(
            "badge_not_active",
            _("badge %(public_id)s is %(status)s", public_id=badge.public_id, status=badge.status),
        )
    now = as_utc(now or utcnow()).replace(microsecond=0)
    for award in awards:  # refuse before anything is allocated or signed
        expiry_for(badge, now, award.expires_at)
    keys = [award.recipient.key for award in awards]
    results: dict[str, Issued] = {}
    for start in range(0, len(awards), CHUNK):
        chunk = awards[start : start + CHUNK]
        chunk_keys = keys[start : start + CHUNK]
        for key, assertion in _live(badge, chunk_keys).items():
            if assertion.is_expired(now):
                # Awarded again after it expired: a new assertion replaces it (the old one
                # stays served, expired, and leaves the one-live-award index).
                assertion.replaced_at = now
            else:
                results[key] = Issued(assertion, created=False)
        db.session.flush()
        todo = {}
        for key, award in zip(chunk_keys, chunk, strict=True):
            if key not in results and key not in todo:
                todo[key] = award
        if not todo:
            continue
        issuer = badge.issuer
        status_list, indexes = _allocate(issuer, len(todo), now)
        _key, signer = signing_key(issuer)
        jwt = jwt_signer(issuer)
        achievement = documents.ob3_achievement(badge)
        rows: list[dict[str, Any]] = []
        unsigned = (
            _prepare(badge, award, now, index, status_list, achievement, rows)
            for award, index in zip(todo.values(), indexes, strict=True)
        )
        stored = 0
        # Credentials are built as the signing workers ask for them (each row kept for storing).
        for part in sign_many(unsigned, len(todo), signer, jwt, now):
            # Stored and loaded while the workers sign the next parts. A conflicting row means
            # a concurrent issuer won the race for this learner: theirs is kept.
            signed = [
                {**row, "credential_json": credential, "credential_jwt": token}
                for row, (credential, token) in zip(
                    rows[stored : stored + len(part)], part, strict=True
                )
            ]
            stored += len(part)
            upsert(Assertion, signed, json_text=("credential",))
            # Loaded without the signed documents (no JSON decoding of what was just
            # encoded; the credential loads when asked for), the token handed over.
            tokens = {row["public_id"]: row["credential_jwt"] for row in signed}
            inserted = db.session.scalars(
                select(Assertion)
                .where(Assertion.public_id.in_(tokens))
                .options(defer(Assertion.credential), defer(Assertion.credential_jwt))
            )
            for assertion in inserted:
                set_committed_value(assertion, "credential_jwt", tokens[assertion.public_id])
                results[assertion.recipient_key] = Issued(assertion, created=True)
        lost = [key for key in todo if key not in results]
        for key, assertion in _live(badge, lost).items():
            results[key] = Issued(assertion, created=False)
    return [results[key] for key in keys]


def issue(
    badge: Badge,
    recipient: Recipient,
    *,
    evidence: Sequence[dict[str, Any]] = (),
    expires_at: datetime | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> Issued:
    """Issue ``badge`` to one recipient (idempotent: returns the live assertion if any)."""
    return issue_many(badge, [Award(recipient, evidence, expires_at)], now=now, commit=commit)[0]


# --- revocation --------------------------------------------------------------------------------


def publish_status_list(status_list: StatusList, now: datetime | None = None) -> None:
    """Rebuild the list from the revoked assertions and sign it (no commit)."""
    now = as_utc(now or utcnow())
    revoked = db.session.scalars(
        select(Assertion.status_index).where(
            Assertion.status_list_id == status_list.id, Assertion.revoked_at.is_not(None)
        )
    )
    issuer = db.session.get_one(Issuer, status_list.issuer_id)
    _key, signer = signing_key(issuer)
    unsigned = documents.status_list_credential(
        status_list, issuer, bitstring.encode_list(revoked, status_list.size), now
    )
    status_list.credential = add_proof(unsigned, signer, now)
    status_list.signed_at = now


def revoke(assertion: Assertion, reason: str, *, now: datetime | None = None) -> bool:
    """Revoke an award in the caller's transaction (no commit): OB 2.0 answers ``revoked``,
    the OB 3.0 status bit flips. False when it was revoked already (nothing changes).

    What a revocation owes besides (its decision, audit record, webhook) is announced by
    ``app.awards``, which every path revokes through."""
    if not (reason or "").strip():
        raise OperationError("invalid", _("a revocation needs a reason"))
    if assertion.revoked:
        return False
    now = as_utc(now or utcnow())
    # Lock the list row first (PostgreSQL) so two revocations cannot publish stale bits.
    status_list = db.session.scalars(
        select(StatusList).where(StatusList.id == assertion.status_list_id).with_for_update()
    ).one()
    assertion.revoked_at = now
    assertion.revocation_reason = reason.strip()
    db.session.flush()
    publish_status_list(status_list, now)
    return True


def set_public(assertion: Assertion, public: bool) -> None:
    """Show or hide the learner's name on the public page; the credential still verifies."""
    assertion.public = public
    db.session.commit()


def accept(assertion: Assertion, now: datetime | None = None) -> bool:
    """Record that the learner accepted the award, the first time only (True then), in the
    caller's transaction; ``app.awards`` announces it."""
    if assertion.accepted_at is not None:
        return False
    assertion.accepted_at = now or utcnow()
    return True
