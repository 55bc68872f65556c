"""``did:key`` for the wallet keys we accept: Ed25519 (``z6Mk…``) and P-256 (``zDn…``).

A did:key *is* its public key (multicodec + base58btc), so resolving one needs no network.
The Multikey encodings are the Open Badges core's (:mod:`app.openbadges.keys`).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import ECKey, OKPKey

from app.openbadges.keys import (
    p256_public_key_from_multikey,
    p256_public_multikey,
    public_key_from_multikey,
    public_multikey,
)

PREFIX = "did:key:"

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey


class DidError(ValueError):
    """Not a did:key (or DID URL) this tool can resolve."""


def did_key(public_key: PublicKey) -> str:
    """The did:key naming ``public_key``."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise DidError("only P-256 EC keys are supported")
        return PREFIX + p256_public_multikey(public_key)
    return PREFIX + public_multikey(public_key)


def split_did_url(did_url: str) -> tuple[str, str]:
    """(DID, fragment) of a DID URL such as ``did:key:z6Mk…#z6Mk…``."""
    did, _, fragment = did_url.partition("#")
    return did, fragment


def resolve(did_url: str) -> PublicKey:
    """The public key a did:key (or one of its DID URLs) names; DidError otherwise.

    A did:key document has exactly one key, whose fragment is the key's own multibase: any
    other fragment names nothing."""
    did, fragment = split_did_url(did_url)
    if not did.startswith(PREFIX):
        raise DidError("only did:key identifiers are supported")
    multibase = did[len(PREFIX) :]
    if fragment and fragment != multibase:
        raise DidError("the DID URL's fragment does not name the did:key's key")
    for parse in (public_key_from_multikey, p256_public_key_from_multikey):
        try:
            return parse(multibase)
        except ValueError:
            continue
    raise DidError("the did:key is neither an Ed25519 nor a P-256 key")


def from_jwk(jwk: dict[str, object]) -> PublicKey:
    """The public key of a JWK (OKP Ed25519 or EC P-256); DidError for a private or other key."""
    if "d" in jwk:
        raise DidError("the JWK carries a private key")
    members: dict[str, str | list[str]] = {k: str(v) for k, v in jwk.items()}  # all strings
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return OKPKey.import_key(members).public_key  # type: ignore[return-value]
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            return ECKey.import_key(members).public_key
    except (ValueError, TypeError, KeyError) as exc:
        raise DidError(f"the JWK is not a valid public key: {exc}") from None
    raise DidError("only Ed25519 (OKP) and P-256 (EC) JWKs are supported")
