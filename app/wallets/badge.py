"""The award badge as an offerable kind: its bound copy is the award's own signed credential
with a new id and the holder's DID as subject, signed again by the same issuer.

Starting from the credential signed at issue (not rebuilding it) keeps everything the award
said then: the achievement as it was earned, the evidence, the results shown with consent and
the status list entry, so revoking the award revokes every copy.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Context
from app.models.base import utcnow
from app.openbadges import issuers
from app.openbadges.jsonld import OB3_CONTEXT
from app.openbadges.models import Assertion
from app.openbadges.signing import add_proof, sign_jwt
from app.wallets.registry import Bound, Source, register_offerable

KIND = "badge"


def _assertion(public_id: str) -> Assertion | None:
    return db.session.scalar(select(Assertion).where(Assertion.public_id == public_id))


def find(public_id: str) -> Source | None:
    """The award ``public_id`` as an offer source."""
    assertion = _assertion(public_id)
    if assertion is None:
        return None
    badge = assertion.badge
    registration_id = (
        db.session.scalar(select(Context.registration_id).where(Context.id == badge.context_id))
        if badge.context_id
        else badge.issuer.registration_id
    )
    return Source(
        title=badge.name,
        lti_user_id=assertion.lti_user_id,
        registration_id=registration_id,
        issuer_name=badge.issuer.name,
        available=not assertion.revoked and not assertion.is_expired(),
    )


def bound_credential(assertion: Assertion, holder: str, credential_id: str) -> dict:
    """The award's credential, unsigned, as a new credential whose subject is ``holder``."""
    unsigned = {k: v for k, v in assertion.credential.items() if k != "proof"}
    subject = {**unsigned["credentialSubject"], "id": holder}
    return {**unsigned, "id": credential_id, "credentialSubject": subject}


def build(public_id: str, holder: str, credential_id: str) -> Bound:
    """Sign the bound copy of award ``public_id`` for ``holder`` in both forms."""
    assertion = _assertion(public_id)
    if assertion is None:
        raise LookupError(f"no award {public_id}")
    unsigned = bound_credential(assertion, holder, credential_id)
    issuer = assertion.badge.issuer
    _key, signer = issuers.signing_key(issuer)
    now = utcnow().replace(microsecond=0)
    return Bound(add_proof(unsigned, signer, now), sign_jwt(unsigned, issuers.jwt_signer(issuer)))


def register() -> None:
    """Register the award badge as kind ``"badge"``."""
    register_offerable(
        KIND, build, find=find, credential_type="OpenBadgeCredential", context=OB3_CONTEXT
    )
