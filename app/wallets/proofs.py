"""What a wallet signs to prove it holds its key, and how we check it.

- OID4VCI 1.0, Appendix F.1: a ``jwt`` key proof (``typ: openid4vci-proof+jwt``) naming its
  key by a did:key DID URL (``kid``) or an embedded public ``jwk``, for our audience (the
  Credential Issuer Identifier) and one of our ``c_nonce`` values.
- VC-API exchanges (Learner Credential Wallet): a Verifiable Presentation whose
  ``authentication`` proof carries our challenge, signed with the holder's did:key, as
  ``Ed25519Signature2020`` (what LCW signs with) or ``eddsa-rdfc-2022``.

Either check returns the holder's DID (always a did:key, the credential subject of the bound
copy) or raises :class:`ProofError` with the protocol's error code. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from app.openbadges.jsonld import canonize
from app.openbadges.keys import from_multibase_b58
from app.wallets import dids

PROOF_TYP = "openid4vci-proof+jwt"
#: Key proof algorithms we verify (``Ed25519`` is RFC 9864's name for EdDSA over Ed25519).
PROOF_ALGORITHMS = ("EdDSA", "Ed25519", "ES256")
#: How far a proof's ``iat`` may lie in the past or the future (clocks drift, people dawdle).
IAT_PAST_SECONDS = 600
IAT_FUTURE_SECONDS = 300

warnings.filterwarnings("ignore", message="EdDSA is deprecated")


class ProofError(ValueError):
    """A proof we refuse; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _key_for_alg(alg: str, public_key: dids.PublicKey) -> OKPKey | ECKey:
    if alg == "ES256" and not isinstance(public_key, Ed25519PublicKey):
        return ECKey.import_key(public_key)
    if alg in ("EdDSA", "Ed25519") and isinstance(public_key, Ed25519PublicKey):
        return OKPKey.import_key(public_key)
    raise ProofError("invalid_proof", f"the proof's key does not match its algorithm {alg}")


def verify_key_proof(
    token: str, *, audience: str, nonce_ok: Callable[[str], bool], now: datetime
) -> str:
    """The holder DID proven by an OID4VCI ``jwt`` key proof, or ProofError."""
    if not isinstance(token, str):
        raise ProofError("invalid_proof", "the jwt proof must be a string")
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise ProofError("invalid_proof", f"the proof is not a compact JWS: {exc}") from None
    if header.get("typ") != PROOF_TYP:
        raise ProofError("invalid_proof", f"the proof's typ must be {PROOF_TYP}")
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise ProofError("invalid_proof", f"unsupported proof algorithm {alg!r}")
    key_params = [name for name in ("kid", "jwk", "x5c", "trust_chain") if name in header]
    if len(key_params) != 1 or key_params[0] not in ("kid", "jwk"):
        raise ProofError("invalid_proof", "the proof must name its key by exactly one kid or jwk")
    try:
        if "kid" in header:
            public_key = dids.resolve(str(header["kid"]))
        elif isinstance(header["jwk"], dict):
            public_key = dids.from_jwk(header["jwk"])
        else:
            raise dids.DidError("the jwk header is not an object")
    except dids.DidError as exc:
        raise ProofError("invalid_proof", str(exc)) from None
    try:
        payload = jws.deserialize_compact(
            token, _key_for_alg(alg, public_key), algorithms=[alg]
        ).payload
        claims = json.loads(payload)
    except (JoseError, ValueError) as exc:
        raise ProofError("invalid_proof", f"the proof's signature does not verify: {exc}") from None
    if not isinstance(claims, dict):
        raise ProofError("invalid_proof", "the proof's payload is not a JSON object")
    aud = claims.get("aud")
    if aud != audience and aud != [audience]:
        raise ProofError("invalid_proof", "the proof is not addressed to this credential issuer")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise ProofError("invalid_proof", "the proof has no iat")
    moment = now.timestamp()
    if not moment - IAT_PAST_SECONDS <= iat <= moment + IAT_FUTURE_SECONDS:
        raise ProofError("invalid_proof", "the proof's iat is too old or in the future")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce_ok(nonce):
        raise ProofError("invalid_nonce", "the proof does not carry a valid c_nonce")
    return dids.did_key(public_key)


# --- DID Authentication (VC-API exchanges) ------------------------------------------------------

_SUITES = {("Ed25519Signature2020", None), ("DataIntegrityProof", "eddsa-rdfc-2022")}


def _holder_id(presentation: dict[str, Any]) -> str:
    holder = presentation.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder:
        raise ProofError("invalid_presentation", "the presentation names no holder")
    return holder


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and hmac.compare_digest(a.encode(), b.encode())


def verify_did_auth(presentation: Any, *, challenge: str, domain: str | None) -> str:
    """The holder DID of a DID Authentication presentation signed over ``challenge``."""
    if not isinstance(presentation, dict):
        raise ProofError("invalid_presentation", "verifiablePresentation must be an object")
    holder = _holder_id(presentation)
    if "VerifiablePresentation" not in (presentation.get("type") or []):
        raise ProofError("invalid_presentation", "not a VerifiablePresentation")
    proofs = presentation.get("proof")
    proofs = [proofs] if isinstance(proofs, dict) else proofs
    if not isinstance(proofs, list) or not proofs:
        raise ProofError("invalid_presentation", "the presentation is not signed")
    unsigned = {k: v for k, v in presentation.items() if k != "proof"}
    problems: list[ProofError] = []
    for proof in proofs:
        try:
            _check_authentication(proof, unsigned, holder, challenge, domain)
            return dids.did_key(dids.resolve(holder))
        except ProofError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    raise ProofError("invalid_presentation", "; ".join(str(p) for p in problems))


def _check_authentication(
    proof: Any, unsigned: dict[str, Any], holder: str, challenge: str, domain: str | None
) -> None:
    if not isinstance(proof, dict):
        raise ProofError("invalid_presentation", "a proof is not an object")
    if (proof.get("type"), proof.get("cryptosuite")) not in _SUITES:
        raise ProofError("invalid_presentation", f"unsupported proof type {proof.get('type')!r}")
    if proof.get("proofPurpose") != "authentication":
        raise ProofError("invalid_presentation", "the proof's purpose is not authentication")
    if not _same(proof.get("challenge"), challenge):
        raise ProofError("invalid_challenge", "the proof does not carry this exchange's challenge")
    if domain is not None and proof.get("domain") is not None and proof["domain"] != domain:
        raise ProofError("invalid_presentation", "the proof is for another domain")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or dids.split_did_url(method)[0] != holder:
        raise ProofError("invalid_presentation", "the proof is not signed by the holder's key")
    from pyld.jsonld import JsonLdError  # with the canonicalization that raises it

    try:
        public_key = dids.resolve(method)
        if not isinstance(public_key, Ed25519PublicKey):
            raise ProofError("invalid_presentation", "the holder's key is not an Ed25519 key")
        check_signature(unsigned, proof, public_key)
    except InvalidSignature:
        raise ProofError("invalid_presentation", "the signature does not verify") from None
    except (dids.DidError, JsonLdError, ValueError, TypeError) as exc:
        raise ProofError("invalid_presentation", f"the proof cannot be checked: {exc}") from None


def check_signature(
    unsigned: dict[str, Any], proof: dict[str, Any], public_key: Ed25519PublicKey
) -> None:
    """Raise InvalidSignature unless ``proof`` (Ed25519Signature2020 or eddsa-rdfc-2022, the
    same hashing) signs ``unsigned``: SHA-256 of the canonical proof options (in the
    document's context) then of the canonical document, signed with Ed25519."""
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = unsigned.get("@context")
    data = (
        hashlib.sha256(canonize(options).encode()).digest()
        + hashlib.sha256(canonize(unsigned).encode()).digest()
    )
    public_key.verify(from_multibase_b58(str(proof.get("proofValue", ""))), data)
