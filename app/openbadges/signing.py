"""Signing credentials: Data Integrity ``eddsa-rdfc-2022`` proofs and VC-JWT (ES256 or EdDSA).

The signer canonicalizes with the fast, shape-cached path of :mod:`app.openbadges.rdfc`; the
verifier (:mod:`app.openbadges.verify`) deliberately uses plain pyld instead, so a bug in the
fast path cannot sign and verify its own mistakes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.openbadges.keys import multibase_b58
from app.openbadges.rdfc import canonicalizer

CRYPTOSUITE = "eddsa-rdfc-2022"
_ES256 = ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True)
class SigningKey:
    """A ready-to-use Ed25519 private key and the verification method id that names it."""

    private_key: Ed25519PrivateKey
    verification_method: str


def make_signing_key(private_key: Ed25519PrivateKey, verification_method: str) -> SigningKey:
    """Wrap an Ed25519 private key for Data Integrity proofs."""
    return SigningKey(private_key, verification_method)


@dataclass(frozen=True)
class JwtSigner:
    """A private key for VC-JWTs, its ``alg`` and its ``kid`` (a URL answering the bare
    public JWK), and the encoded JOSE header every token it signs starts with."""

    alg: str
    kid: str
    private_key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    header_segment: bytes


def make_jwt_signer(
    private_key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey, kid: str
) -> JwtSigner:
    """ES256 for a P-256 key, EdDSA for an Ed25519 key."""
    alg = "ES256" if isinstance(private_key, ec.EllipticCurvePrivateKey) else "EdDSA"
    header = json.dumps({"alg": alg, "typ": "JWT", "kid": kid}, separators=(",", ":"))
    return JwtSigner(alg, kid, private_key, _b64url(header.encode()))


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def isoformat(moment: datetime) -> str:
    """XML Schema dateTime in UTC with a ``Z`` and whole seconds, as the OB examples use."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_options(
    document: dict[str, Any], verification_method: str, created: str
) -> dict[str, Any]:
    """The proof configuration (a proof without ``proofValue``) for ``document``."""
    return {
        "@context": document["@context"],
        "type": "DataIntegrityProof",
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }


def add_proof(document: dict[str, Any], key: SigningKey, created: datetime) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` proof (as a one-item array)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return {**unsigned, "proof": proofs([unsigned], key, created)}


def proofs(
    documents: Sequence[dict[str, Any]], key: SigningKey, created: datetime
) -> list[dict[str, Any]]:
    """The ``eddsa-rdfc-2022`` proof of each document (which must have none yet). A batch is
    canonicalized together (what its documents share, such as the achievement, is walked
    once) and its proof options, the same for documents with the same ``@context``, are
    hashed once."""
    created_text = isoformat(created)
    options_hashes: dict[int, bytes] = {}  # by id() of the context: alive in ``documents``
    out = []
    for document, canonical in zip(documents, canonicalizer.canonize_many(documents), strict=True):
        options = proof_options(document, key.verification_method, created_text)
        options_hash = options_hashes.get(id(document["@context"]))
        if options_hash is None:
            options_hash = hashlib.sha256(canonicalizer.canonize(options).encode()).digest()
            options_hashes[id(document["@context"])] = options_hash
        proof = {k: v for k, v in options.items() if k != "@context"}
        hash_data = options_hash + hashlib.sha256(canonical.encode()).digest()
        proof["proofValue"] = multibase_b58(key.private_key.sign(hash_data))
        out.append(proof)
    return out


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The VC-JWT payload: the credential itself plus the registered claims mirroring it."""
    claims = {k: v for k, v in credential.items() if k != "proof"}
    issuer = credential["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    claims["jti"] = credential["id"]
    subject_id = credential.get("credentialSubject", {}).get("id")
    if subject_id:
        claims["sub"] = subject_id
    claims["nbf"] = _epoch(credential["validFrom"])
    if credential.get("validUntil"):
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def compact_json(value: Any) -> str:
    """JSON as VC-JWT payloads and stored credentials are written: no spaces, UTF-8 as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# Claims ``jwt_claims`` adds after the credential's own members.
REGISTERED_CLAIMS = frozenset({"iss", "jti", "sub", "nbf", "exp"})


def sign_jwt(credential: dict[str, Any], signer: JwtSigner, body: str | None = None) -> str:
    """The credential as a compact VC-JWT (JOSE header: the signer's alg and kid).

    ``body``, when given, is ``compact_json(credential)`` already written (issuing stores
    that same text): the payload is then that text with the registered claims appended,
    byte for byte what serializing the claims writes, without serializing the credential
    twice. RFC 7515 compact serialization written out here (a JOSE library's per-token key
    and header checks cost more than the signature); ES256 signatures are the raw ``r || s``.
    """
    claims = jwt_claims(credential)
    if (
        body is None
        or not credential
        or "proof" in credential
        or REGISTERED_CLAIMS & set(credential)
    ):
        payload = compact_json(claims)
    else:
        added = {k: v for k, v in claims.items() if k in REGISTERED_CLAIMS}
        payload = body[:-1] + "," + compact_json(added)[1:]
    return jws(payload, signer)


def jws(payload: str, signer: JwtSigner) -> str:
    """The compact JWS of the JSON text ``payload`` (the signer's header)."""
    signing_input = signer.header_segment + b"." + _b64url(payload.encode())
    key = signer.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, _ES256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(signing_input)
    return (signing_input + b"." + _b64url(signature)).decode()


def signed_credentials(
    credentials: Sequence[dict[str, Any]], key: SigningKey, jwt: JwtSigner, created: datetime
) -> list[tuple[str, str]]:
    """Each (unsigned) credential with its ``eddsa-rdfc-2022`` proof as compact JSON text,
    what issuing stores, and its VC-JWT; the credential is serialized once for both."""
    out = []
    for proof, credential in zip(proofs(credentials, key, created), credentials, strict=True):
        body = compact_json(credential)
        token = sign_jwt(credential, jwt, body)
        # The text of {**credential, "proof": [proof]}: the proof is the last member.
        out.append((body[:-1] + ',"proof":' + compact_json([proof]) + "}", token))
    return out
