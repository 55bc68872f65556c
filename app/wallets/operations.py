"""What changes wallet state: making an offer, redeeming it (OID4VCI token or VC-API exchange)
and issuing the bound copy. Callable without a request; each function commits its work.

Secrets are handed out once and stored as SHA-256 hashes. The pre-authorized code is an HMAC
of the offer key under a key derived from SECRET_KEY, so the offer document (fetched by the
wallet with the key) can show it again without the code ever being stored. Redeeming is one
conditional UPDATE, so a code or an exchange cannot be used twice, even concurrently.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.database import affected_rows
from app.extensions import db
from app.models.base import new_public_id, utcnow
from app.secret_box import derived_key, signing_keys
from app.settings import number
from app.wallets import urls
from app.wallets.models import WalletCredential, WalletOffer
from app.wallets.registry import Offerable, offerable

log = logging.getLogger(__name__)

DEFAULT_OFFER_MAX_AGE = 600  # seconds to scan the code and finish in the wallet
ACCESS_TOKEN_MAX_AGE = 300
NONCE_MAX_AGE = 300
MAX_TX_CODE_ATTEMPTS = 5
TX_CODE_LENGTH = 6
FORMATS = ("ldp_vc", "jwt_vc_json")


class WalletError(Exception):
    """A refused wallet request; ``code`` is the protocol's error code, ``status`` the HTTP one."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return utcnow()


def pre_authorized_code(offer_key: str) -> str:
    """The pre-authorized code of the offer whose key is ``offer_key``."""
    mac = hmac.new(derived_key("wallet-pre-authorized-code"), offer_key.encode(), hashlib.sha256)
    return mac.hexdigest()


def _tx_code_hash(offer_public_id: str, tx_code: str) -> str:
    return _hash(f"{offer_public_id}:{tx_code}")


@dataclass(frozen=True)
class NewOffer:
    """A fresh offer and the secrets shown once: the key (in its URLs) and the PIN, if any."""

    offer: WalletOffer
    key: str
    tx_code: str | None
    title: str  # what is offered, for the page


def create_offer(
    kind: str,
    source_id: str,
    user_id: int,
    *,
    with_tx_code: bool,
    registration_id: int | None = None,
) -> NewOffer:
    """Offer ``kind``/``source_id`` to a wallet on behalf of its owner ``user_id``.

    Someone else's credential, or (given ``registration_id``, the launch's LMS) one of
    another LMS, is not found; a revoked or expired one is unavailable."""
    entry = _kind(kind)
    source = entry.find(source_id)
    if (
        source is None
        or source.lti_user_id != user_id
        or (registration_id is not None and source.registration_id != registration_id)
    ):
        raise WalletError("not_found", _("No such credential of yours."), 404)
    if not source.available:
        raise WalletError("unavailable", _("This credential was revoked or has expired."), 409)
    key = secrets.token_urlsafe(24)
    tx_code = (
        "".join(secrets.choice("0123456789") for _digit in range(TX_CODE_LENGTH))
        if with_tx_code
        else None
    )
    now = _now()
    public_id = new_public_id()
    offer = WalletOffer(
        public_id=public_id,
        kind=kind,
        source_id=source_id,
        lti_user_id=user_id,
        key_hash=_hash(key),
        code_hash=_hash(pre_authorized_code(key)),
        tx_code_hash=_tx_code_hash(public_id, tx_code) if tx_code else None,
        failed_attempts=0,
        challenge=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + timedelta(seconds=number("WALLET_OFFER_MAX_AGE", DEFAULT_OFFER_MAX_AGE)),
    )
    db.session.add(offer)
    db.session.commit()
    return NewOffer(offer, key, tx_code, source.title)


def _kind(kind: str) -> Offerable:
    entry = offerable(kind)
    if entry is None:
        raise WalletError(
            "not_found", _("Credentials of kind %(kind)s cannot be offered.", kind=repr(kind)), 404
        )
    return entry


def offer_by_key(key: str) -> WalletOffer:
    """The live offer whose key is ``key``; WalletError when unknown, used or expired."""
    offer = db.session.scalar(select(WalletOffer).where(WalletOffer.key_hash == _hash(key)))
    if offer is None:
        raise WalletError("not_found", "This offer does not exist.", 404)
    if offer.redeemed_at is not None or offer.expires_at <= _now():
        raise WalletError("expired", "This offer was already used or has expired.", 410)
    return offer


def configuration_ids(offer: WalletOffer) -> list[str]:
    """The OID4VCI credential configurations an offer is good for (both forms of its kind)."""
    entry = _kind(offer.kind)
    return [entry.configuration_id(fmt) for fmt in FORMATS]


# --- OID4VCI: token, nonce, credential ----------------------------------------------------------


@dataclass(frozen=True)
class AccessToken:
    """What the token endpoint hands the wallet."""

    token: str
    expires_in: int


def redeem_code(code: str, tx_code: str | None) -> AccessToken:
    """Exchange a pre-authorized code (and its PIN, if the offer has one) for an access token.

    The code works once: a second use, an expired code or too many wrong PINs answer
    ``invalid_grant``."""
    offer = db.session.scalar(select(WalletOffer).where(WalletOffer.code_hash == _hash(code)))
    now = _now()
    if offer is None or offer.redeemed_at is not None or offer.expires_at <= now:
        raise WalletError("invalid_grant", "The pre-authorized code is unknown, used or expired.")
    if offer.tx_code_hash is not None:
        if not tx_code:
            raise WalletError("invalid_request", "This offer needs its transaction code (tx_code).")
        if offer.failed_attempts >= MAX_TX_CODE_ATTEMPTS or not hmac.compare_digest(
            offer.tx_code_hash, _tx_code_hash(offer.public_id, tx_code)
        ):
            db.session.execute(
                update(WalletOffer)
                .where(WalletOffer.id == offer.id)
                .values(failed_attempts=WalletOffer.failed_attempts + 1)
            )
            db.session.commit()
            raise WalletError("invalid_grant", "The transaction code is wrong.")
    token = secrets.token_urlsafe(32)
    claimed = affected_rows(
        update(WalletOffer)
        .where(WalletOffer.id == offer.id, WalletOffer.redeemed_at.is_(None))
        .values(
            redeemed_at=now,
            access_token_hash=_hash(token),
            access_expires_at=now + timedelta(seconds=ACCESS_TOKEN_MAX_AGE),
        )
    )
    db.session.commit()
    if claimed != 1:  # another request redeemed it between our read and our write
        raise WalletError("invalid_grant", "The pre-authorized code is unknown, used or expired.")
    log.info("wallet offer %s redeemed by pre-authorized code", offer.public_id)
    return AccessToken(token, ACCESS_TOKEN_MAX_AGE)


def offer_by_access_token(token: str) -> WalletOffer:
    """The offer an access token was issued for; ``invalid_token`` (401) otherwise."""
    offer = db.session.scalar(
        select(WalletOffer).where(WalletOffer.access_token_hash == _hash(token))
    )
    if offer is None or offer.access_expires_at is None or offer.access_expires_at <= _now():
        raise WalletError("invalid_token", "The access token is unknown or expired.", 401)
    return offer


def _nonce_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys("wallet-c-nonce"), salt="badgebridge-c-nonce")


def new_nonce() -> str:
    """A fresh ``c_nonce``: signed and timed, so any web worker can check it without state."""
    return _nonce_serializer().dumps(secrets.token_urlsafe(12))


def nonce_ok(nonce: str) -> bool:
    """True for a ``c_nonce`` we issued less than NONCE_MAX_AGE seconds ago."""
    try:
        _nonce_serializer().loads(nonce, max_age=NONCE_MAX_AGE)
    except BadSignature:
        return False
    return True


def bind(offer: WalletOffer, holder: str) -> WalletCredential:
    """The bound copy of the offer's credential for ``holder``: made and stored the first time,
    the same one when the wallet asks again (for the other form, say). An offer binds one
    holder: a proof by another key on the same access token is refused."""
    existing = db.session.scalar(
        select(WalletCredential).where(WalletCredential.offer_id == offer.id)
    )
    if existing is not None:
        if existing.holder != holder:
            raise WalletError(
                "credential_request_denied", "This offer was already taken by another wallet key."
            )
        return existing
    entry = _kind(offer.kind)
    source = entry.find(offer.source_id)
    if source is None or not source.available:
        raise WalletError(
            "credential_request_denied", "The credential was revoked or has expired.", 400
        )
    public_id = new_public_id()
    bound = entry.build(offer.source_id, holder, urls.bound_credential_url(public_id))
    row = WalletCredential(
        public_id=public_id,
        offer_id=offer.id,
        kind=offer.kind,
        source_id=offer.source_id,
        lti_user_id=offer.lti_user_id,
        holder=holder,
        issued_at=_now(),
        credential=bound.credential,
        credential_jwt=bound.credential_jwt,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request bound this offer first: answer as it did
        db.session.rollback()
        return bind(offer, holder)
    log.info("bound copy %s of %s %s issued", public_id, offer.kind, offer.source_id)
    return row


# --- the VC-API exchange (Learner Credential Wallet) --------------------------------------------


def finish_exchange(offer: WalletOffer, holder: str) -> WalletCredential:
    """Redeem the offer for the holder who passed DID Authentication and bind the credential."""
    claimed = affected_rows(
        update(WalletOffer)
        .where(WalletOffer.id == offer.id, WalletOffer.redeemed_at.is_(None))
        .values(redeemed_at=_now())
    )
    db.session.commit()
    if claimed != 1:
        raise WalletError("expired", "This offer was already used or has expired.", 410)
    log.info("wallet offer %s redeemed by VC-API exchange", offer.public_id)
    return bind(offer, holder)


def bound_copy(public_id: str) -> WalletCredential | None:
    """A stored bound copy by its public id."""
    return db.session.scalar(
        select(WalletCredential).where(WalletCredential.public_id == public_id)
    )
