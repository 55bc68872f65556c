"""What the OB 3.0 API provider changes and reads: consent requests and a learner's data.

How a learner signs in at the authorization endpoint: they only ever reach the tool through
LTI launches inside their LMS, so the tool has no password of theirs to ask for. The
authorization page instead shows a short code (``ABCD-EFGH``) and waits; the learner opens
Badgebridge from their course as usual and, under My badges, enters the code and approves the
named application. The approval binds the request to the learner the launch established (the
``LtiUser`` within its registration), and the waiting page then sends the browser back to the
application with its authorization code. Only the browser holding the page (its URL carries
the request's random id) receives the code, and only for the exact parameters approved.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Context, LtiUser
from app.models.base import utcnow
from app.ob3api.models import ConsentStatus, Ob3Client, Ob3ConsentRequest, Ob3Token
from app.ob3api.server import REFRESH_TOKEN_SECONDS
from app.ob3api.spec import SCOPES
from app.openbadges.clr import learner_subject_id
from app.openbadges.jsonld import OB_V3
from app.openbadges.models import Assertion, Badge

CONSENT_MINUTES = 10
# No 0/O, 1/I/L: a code read off one screen and typed into another.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# The authorization request's parameters a consent is given for.
REQUEST_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def request_hash(args: dict[str, str]) -> str:
    """A fingerprint of an authorization request's parameters."""
    values = {name: args.get(name, "") for name in REQUEST_PARAMETERS}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _new_user_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_user_code(text: str) -> str:
    """What a learner typed, as stored: upper case, the dash in the middle."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def start_consent(client_id: str, args: dict[str, str], scope: str) -> Ob3ConsentRequest:
    """Record an authorization request that waits for its learner; commits."""
    client = db.session.scalar(select(Ob3Client).where(Ob3Client.client_id == client_id))
    if client is None:
        raise LookupError(client_id)
    consent = Ob3ConsentRequest(
        user_code=_new_user_code(),
        client_pk=client.id,
        request_hash=request_hash(args),
        redirect_uri=args.get("redirect_uri", ""),
        scope=scope,
        expires_at=utcnow() + timedelta(minutes=CONSENT_MINUTES),
    )
    db.session.add(consent)
    db.session.commit()
    return consent


def _open(consent: Ob3ConsentRequest | None, now: datetime) -> Ob3ConsentRequest | None:
    if consent is None or consent.expires_at <= now:
        return None
    return consent


def find_consent(public_id: str, args: dict[str, str]) -> Ob3ConsentRequest | None:
    """The consent request of the waiting page, if it is for exactly these parameters and
    has not expired or been used."""
    consent = db.session.scalar(
        select(Ob3ConsentRequest).where(
            Ob3ConsentRequest.public_id == public_id,
            Ob3ConsentRequest.request_hash == request_hash(args),
            Ob3ConsentRequest.status != ConsentStatus.USED,
        )
    )
    return _open(consent, utcnow())


def pending_by_code(user_code: str) -> Ob3ConsentRequest | None:
    """The pending request a learner's typed code names, if any."""
    consent = db.session.scalar(
        select(Ob3ConsentRequest).where(
            Ob3ConsentRequest.user_code == normalize_user_code(user_code),
            Ob3ConsentRequest.status == ConsentStatus.PENDING,
        )
    )
    return _open(consent, utcnow())


def pending_by_id(public_id: str) -> Ob3ConsentRequest | None:
    """A pending request by its id (the learner's approval form names it)."""
    consent = db.session.scalar(
        select(Ob3ConsentRequest).where(
            Ob3ConsentRequest.public_id == public_id,
            Ob3ConsentRequest.status == ConsentStatus.PENDING,
        )
    )
    return _open(consent, utcnow())


def decide(consent: Ob3ConsentRequest, user_id: int, registration_id: int, approve: bool) -> None:
    """The learner's answer; the grant is theirs (this user in this registration). Commits."""
    consent.status = ConsentStatus.APPROVED if approve else ConsentStatus.DENIED
    consent.user_id = user_id
    consent.registration_id = registration_id
    db.session.commit()


def mark_used(consent: Ob3ConsentRequest) -> None:
    """The answer went back to the client: the request is done. Commits."""
    consent.status = ConsentStatus.USED
    db.session.commit()


# --- apps with access ---------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectedApp:
    """An app holding a live grant to a learner's badges."""

    client_id: str
    name: str
    client_uri: str
    scopes: list[str]


def connected_apps(user_id: int, registration_id: int) -> list[ConnectedApp]:
    """The apps whose grant from this learner still works (a usable refresh token or an
    unexpired access token), by name."""
    now = int(time.time())
    rows = db.session.execute(
        select(Ob3Token, Ob3Client)
        .join(Ob3Client, Ob3Client.client_id == Ob3Token.client_id)
        .where(Ob3Token.user_id == user_id, Ob3Token.registration_id == registration_id)
    ).all()
    apps: dict[str, ConnectedApp] = {}
    for token, client in rows:
        refresh_live = (
            token.refresh_token_hash is not None
            and token.refresh_token_revoked_at is None
            and token.issued_at + REFRESH_TOKEN_SECONDS > now
        )
        access_live = (
            token.access_token_revoked_at is None and token.issued_at + token.expires_in > now
        )
        if refresh_live or access_live:
            metadata = client.client_metadata
            known = apps.get(client.client_id)
            scopes = sorted(set(token.scope.split()) | set(known.scopes if known else []))
            apps[client.client_id] = ConnectedApp(
                client.client_id,
                str(metadata.get("client_name") or client.client_id),
                str(metadata.get("client_uri") or ""),
                [s for s in scopes if s in SCOPES],
            )
    return sorted(apps.values(), key=lambda app: app.name.lower())


def disconnect_app(user_id: int, registration_id: int, client_id: str) -> int:
    """End every grant this learner gave this app; how many tokens were revoked. Commits."""
    now = int(time.time())
    tokens = db.session.scalars(
        select(Ob3Token).where(
            Ob3Token.user_id == user_id,
            Ob3Token.registration_id == registration_id,
            Ob3Token.client_id == client_id,
        )
    )
    count = 0
    for token in tokens:
        token.access_token_revoked_at = token.access_token_revoked_at or now
        token.refresh_token_revoked_at = token.refresh_token_revoked_at or now
        count += 1
    db.session.commit()
    return count


# --- resources ----------------------------------------------------------------------------


def _learner_awards(user_id: int, registration_id: int, since: datetime | None) -> Any:
    query = (
        select(Assertion)
        .join(Badge, Badge.id == Assertion.badge_id)
        .join(Context, Context.id == Badge.context_id)
        .where(
            Assertion.lti_user_id == user_id,
            Context.registration_id == registration_id,
            Assertion.revoked_at.is_(None),
            Assertion.replaced_at.is_(None),
        )
    )
    if since is not None:
        query = query.where(Assertion.issued_on > since)
    return query


@dataclass(frozen=True)
class CredentialsPage:
    """One page of a learner's credentials and how many there are in all."""

    total: int
    credentials: list[dict[str, Any]]


def credentials_page(
    user_id: int, registration_id: int, limit: int, offset: int, since: datetime | None
) -> CredentialsPage:
    """The learner's signed OB 3.0 credentials from this registration's courses, oldest
    first (revoked and replaced awards left out)."""
    query = _learner_awards(user_id, registration_id, since)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Assertion.issued_on, Assertion.id).limit(limit).offset(offset)
    )
    return CredentialsPage(total, [row.credential for row in rows])


def profile(user_id: int) -> dict[str, Any] | None:
    """The learner as an OB 3.0 Profile: name and email as their LMS gave them."""
    user = db.session.get(LtiUser, user_id)
    if user is None:
        return None
    document: dict[str, Any] = {
        "@context": [OB_V3],
        "id": learner_subject_id(user),
        "type": "Profile",
    }
    for key, value in (
        ("name", user.name),
        ("givenName", user.given_name),
        ("familyName", user.family_name),
        ("email", user.email),
    ):
        if value:
            document[key] = value
    return document
