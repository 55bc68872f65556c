"""Our own verifier: signature, status, expiry, schema and recipient of what we (or anyone) issue.

Independent of the signer on purpose: canonicalization goes through plain pyld (with the
bundled contexts), signatures through ``cryptography`` directly, JWTs are split and checked
by hand. Keys are resolved from the issuer's published controller document, as an outside
verifier would; URLs on this tool's ``PUBLIC_BASE_URL`` are answered in-process.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from flask import current_app
from jsonschema import Draft201909Validator

from app import outbound
from app.openbadges.bitstring import is_set
from app.openbadges.jsonld import canonize, clr_schema, ob3_schema
from app.openbadges.keys import from_multibase_b58, public_jwk, public_key_from_multikey
from badge_design.baking import BakingError, unbake

_JSON_ACCEPT = "application/ld+json, application/json;q=0.9"


@dataclass
class Report:
    """What the verifier found; ``valid`` only when there are no errors."""

    errors: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "errors": self.errors, **self.details}


class FetchError(Exception):
    """A document could not be retrieved."""


def fetch(url: str, accept: str = _JSON_ACCEPT) -> tuple[int, bytes]:
    """GET ``url``: in-process for this tool's own URLs, over HTTP otherwise."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if url == base or url.startswith(base + "/"):
        path = url[len(base) :] or "/"
        local = current_app.test_client().get(path, headers={"Accept": accept})
        return local.status_code, local.get_data()
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"cannot fetch {url!r}")
    try:
        # A credential names its own URLs: the guarded client decides where they may lead.
        with outbound.session(total_timeout=10, max_bytes=5 * 1024 * 1024) as session:
            response = session.get(url, headers={"Accept": accept})
    except requests.RequestException as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from exc
    return response.status_code, response.content


def fetch_json(url: str) -> dict[str, Any]:
    """GET ``url`` as JSON; FetchError unless it answers 200 (or 410 with JSON) and parses."""
    status, body = fetch(url)
    if status not in (200, 410):
        raise FetchError(f"{url} answered HTTP {status}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise FetchError(f"{url} did not answer JSON") from exc


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _check_dates(
    report: Report, valid_from: str | None, valid_until: str | None, now: datetime
) -> None:
    if valid_until:
        report.details["expires"] = valid_until
        if _parse_time(valid_until) <= now:
            report.details["expired"] = True
            report.errors.append(f"expired on {valid_until}")
    if valid_from and _parse_time(valid_from) > now:
        report.errors.append(f"not valid before {valid_from}")


def _check_recipient(
    report: Report,
    identities: list[dict[str, Any]],
    email: str | None,
    hash_key: str,
    salt_key: str = "salt",
) -> None:
    if email is None:
        return
    wanted = email.strip().lower()
    for identity in identities:
        stored = identity.get(hash_key, "")
        if identity.get("hashed"):
            algorithm, _, digest = stored.partition("$")
            salt = identity.get(salt_key) or ""
            if (
                algorithm == "sha256"
                and hashlib.sha256((wanted + salt).encode()).hexdigest() == digest
            ):
                report.details["recipient_matches"] = True
                return
        elif stored.strip().lower() == wanted:
            report.details["recipient_matches"] = True
            return
    report.details["recipient_matches"] = False
    report.errors.append(f"the badge was not issued to {email}")


# --- keys --------------------------------------------------------------------------------------


def _lists(methods: Any, method_id: str) -> dict[str, Any] | None:
    """The entry of ``methods`` (ids or embedded objects) naming ``method_id``, if any."""
    for method in methods if isinstance(methods, list) else [methods]:
        if method == method_id:
            return {"id": method_id}
        if isinstance(method, dict) and method.get("id") == method_id:
            return method
    return None


def _multikey(method: dict[str, Any], issuer_id: str):
    if method.get("controller") != issuer_id or method.get("type") != "Multikey":
        raise ValueError("the verification method is not the issuer's Multikey")
    if not method.get("publicKeyMultibase"):
        raise ValueError("the verification method has no publicKeyMultibase")
    return public_key_from_multikey(method["publicKeyMultibase"])


def resolve_key(verification_method: str, issuer_id: str):
    """The Ed25519 public key named by ``verification_method``, controlled by the issuer.

    A key URL is fetched as a document of its own (a Multikey naming its controller), as the
    DCC and Digital Bazaar verifiers do; its controller, the credential's issuer, must list
    it under assertionMethod. A ``#fragment`` id (credentials issued before keys had their
    own URLs) is looked up embedded in the controller document.
    """
    document_url, fragment = urldefrag(verification_method)
    if fragment:
        if document_url != issuer_id:
            raise ValueError("the verification method's controller is not the issuer")
        method = _lists(fetch_json(document_url).get("assertionMethod", []), verification_method)
        if method is None:
            raise ValueError("the issuer does not list this key under assertionMethod")
        return _multikey(method, issuer_id)
    method = fetch_json(verification_method)
    if method.get("id") != verification_method:
        raise ValueError("the verification method's document has another id")
    key = _multikey(method, issuer_id)
    if _lists(fetch_json(issuer_id).get("assertionMethod", []), verification_method) is None:
        raise ValueError("the issuer does not list this key under assertionMethod")
    return key


def _issuer_id(document: dict[str, Any]) -> str | None:
    """The issuer's id a credential names (``issuer`` is an object or a bare URL)."""
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer_id if isinstance(issuer_id, str) and issuer_id else None


def check_data_integrity(document: dict[str, Any]) -> list[str]:
    """Errors of the document's ``eddsa-rdfc-2022`` proof (an empty list when it verifies)."""
    proofs = document.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not proofs:
        return ["no proof"]
    issuer_id = _issuer_id(document)
    if issuer_id is None:
        return ["the credential names no issuer"]
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    errors = []
    for proof in proofs:
        if (proof.get("type"), proof.get("cryptosuite")) != (
            "DataIntegrityProof",
            "eddsa-rdfc-2022",
        ):
            errors.append("unsupported proof type")
            continue
        if proof.get("proofPurpose") != "assertionMethod":
            errors.append("proof purpose is not assertionMethod")
            continue
        try:
            key = resolve_key(proof["verificationMethod"], issuer_id)
            options = {k: v for k, v in proof.items() if k != "proofValue"}
            options["@context"] = document["@context"]
            data = (
                hashlib.sha256(canonize(options).encode()).digest()
                + hashlib.sha256(canonize(unsigned).encode()).digest()
            )
            key.verify(from_multibase_b58(proof["proofValue"]), data)
        except InvalidSignature:
            errors.append("signature does not verify (the credential was altered)")
        except (FetchError, ValueError, KeyError) as exc:
            errors.append(f"proof cannot be checked: {exc}")
    return errors


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_JWK_MEMBERS = {"EC": ("crv", "x", "y"), "OKP": ("crv", "x")}


def resolve_jwk(kid: str, issuer_id: str) -> dict[str, Any]:
    """The bare public JWK ``kid`` dereferences to, once the issuer vouches for it: its
    controller document links a JWK set (service ``JsonWebKeySet``) holding the same key."""
    if not kid.startswith(("http://", "https://")):
        raise ValueError("the JWT's kid is not a URL")
    if urldefrag(kid).fragment:
        # EdDSA JWTs issued before keys had their own URLs name a Multikey in the controller.
        return public_jwk(resolve_key(kid, issuer_id), kid)
    jwk = fetch_json(kid)
    members = _JWK_MEMBERS.get(str(jwk.get("kty")))
    if members is None or "d" in jwk:
        raise ValueError("the JWT's kid does not dereference to a public JWK")
    services = fetch_json(issuer_id).get("service") or []
    sets = [
        s["serviceEndpoint"]
        for s in services
        if isinstance(s, dict)
        and s.get("type") == "JsonWebKeySet"
        and isinstance(s.get("serviceEndpoint"), str)
    ]
    for url in sets:
        for listed in fetch_json(url).get("keys", []):
            if listed.get("kid") == kid and all(
                listed.get(m) == jwk.get(m) for m in ("kty", *members)
            ):
                return jwk
    raise ValueError("the issuer does not publish the JWT's key")


def _jwt_signature_ok(
    alg: str, jwk: dict[str, Any], signature: bytes, signing_input: bytes
) -> None:
    """Raise InvalidSignature (or ValueError for a key of the wrong kind) unless it verifies."""
    if alg == "ES256":
        if (jwk.get("kty"), jwk.get("crv")) != ("EC", "P-256") or len(signature) != 64:
            raise ValueError("ES256 needs a P-256 key and a 64-byte signature")
        public = ec.EllipticCurvePublicNumbers(
            int.from_bytes(_b64url_decode(jwk["x"]), "big"),
            int.from_bytes(_b64url_decode(jwk["y"]), "big"),
            ec.SECP256R1(),
        ).public_key()
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        return
    if (jwk.get("kty"), jwk.get("crv")) != ("OKP", "Ed25519"):
        raise ValueError("EdDSA needs an Ed25519 key")
    Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"])).verify(signature, signing_input)


def check_jwt(token: str) -> tuple[dict[str, Any] | None, list[str]]:
    """(credential, errors) of a compact VC-JWT signed with ES256 or EdDSA."""
    try:
        header_b64, payload_b64, signature_b64 = token.strip().split(".")
        header = json.loads(_b64url_decode(header_b64))
        payload = json.loads(_b64url_decode(payload_b64))
    except ValueError:
        return None, ["not a compact JWT"]
    if header.get("alg") not in ("ES256", "EdDSA"):
        return payload, [f"unsupported JWT algorithm {header.get('alg')!r}"]
    issuer_id = _issuer_id(payload)
    if issuer_id is None:
        return payload, ["the credential names no issuer"]
    errors = []
    try:
        jwk = resolve_jwk(header.get("kid", ""), issuer_id)
        _jwt_signature_ok(
            header["alg"],
            jwk,
            _b64url_decode(signature_b64),
            f"{header_b64}.{payload_b64}".encode(),
        )
    except InvalidSignature:
        errors.append("JWT signature does not verify (the credential was altered)")
    except (FetchError, ValueError, KeyError) as exc:
        errors.append(f"JWT signature cannot be checked: {exc}")
    subject = payload.get("credentialSubject") or {}
    expected = {"iss": issuer_id, "jti": payload.get("id"), "sub": subject.get("id")}
    for claim, value in expected.items():
        if value is not None and payload.get(claim) != value:
            errors.append(f"JWT claim {claim} does not match the credential")
    for claim, prop in (("nbf", "validFrom"), ("exp", "validUntil")):
        if payload.get(prop) is not None and payload.get(claim) != int(
            _parse_time(payload[prop]).timestamp()
        ):
            errors.append(f"JWT claim {claim} does not match {prop}")
    credential = {
        k: v
        for k, v in payload.items()
        if k not in ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")
    }
    return credential, errors


def _check_status(report: Report, credential: dict[str, Any]) -> None:
    entries = credential.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [entries] if entries else []:
        if entry.get("type") != "BitstringStatusListEntry":
            report.errors.append(f"unsupported status type {entry.get('type')!r}")
            continue
        try:
            status_list = fetch_json(entry["statusListCredential"])
            list_errors = check_data_integrity(status_list)
            if list_errors:
                report.errors.append("status list signature invalid: " + "; ".join(list_errors))
                continue
            subject = status_list["credentialSubject"]
            if is_set(subject["encodedList"], int(entry["statusListIndex"])):
                purpose = entry.get("statusPurpose", "revocation")
                report.details["revoked" if purpose == "revocation" else purpose] = True
                report.errors.append("revoked" if purpose == "revocation" else purpose)
        except (FetchError, ValueError, KeyError) as exc:
            report.errors.append(f"status cannot be checked: {exc}")


def verify_ob3(
    credential: dict[str, Any],
    report: Report,
    email: str | None,
    now: datetime,
    proof_checked: bool = False,
) -> None:
    """Checks shared by both OB 3.0 forms: schema, proof, status, dates, recipient."""
    report.details.setdefault("format", "ob3")
    report.details["credential_id"] = credential.get("id")
    report.details.setdefault("revoked", False)
    report.details.setdefault("expired", False)
    _check_schema_and_proof(report, credential, ob3_schema(), proof_checked)
    _check_status(report, credential)
    _check_dates(report, credential.get("validFrom"), credential.get("validUntil"), now)
    subject = credential.get("credentialSubject") or {}
    _check_recipient(report, subject.get("identifier") or [], email, "identityHash")


def _check_schema_and_proof(
    report: Report, credential: dict[str, Any], schema: dict[str, Any], proof_checked: bool
) -> None:
    """The credential against its JSON schema (a lone proof counts as a list of one), then its
    Data Integrity proof unless the caller already checked it (a VC-JWT's signature)."""
    schema_doc = dict(credential)
    if "proof" in schema_doc and not isinstance(schema_doc["proof"], list):
        schema_doc["proof"] = [schema_doc["proof"]]
    for error in Draft201909Validator(schema).iter_errors(schema_doc):
        path = "/".join(str(p) for p in error.absolute_path)
        report.errors.append(f"schema: {path or '(root)'}: {error.message[:200]}")
    if not proof_checked:
        proof_errors = check_data_integrity(credential)
        report.details["signature"] = not proof_errors
        report.errors.extend(proof_errors)


def verify_clr(
    credential: dict[str, Any], report: Report, now: datetime, proof_checked: bool = False
) -> None:
    """A CLR 2.0 ``ClrCredential``: its schema, proof and dates, then every OB 3.0 credential
    it embeds, each verified on its own (signature, status, dates)."""
    report.details["format"] = "clr2"
    report.details["credential_id"] = credential.get("id")
    _check_schema_and_proof(report, credential, clr_schema(), proof_checked)
    _check_dates(report, credential.get("validFrom"), credential.get("validUntil"), now)
    embedded = (credential.get("credentialSubject") or {}).get("verifiableCredential") or []
    report.details["credentials"] = len(embedded)
    for index, inner in enumerate(embedded if isinstance(embedded, list) else [embedded]):
        inner_report = Report()
        verify_ob3(inner, inner_report, None, now)
        report.errors.extend(f"credential {index + 1}: {e}" for e in inner_report.errors)


def verify_ob2(url: str, report: Report, email: str | None, now: datetime) -> None:
    """Hosted OB 2.0: the assertion answers at its id, on the issuer's origin."""
    report.details["format"] = "ob2-hosted"
    report.details.setdefault("revoked", False)
    report.details.setdefault("expired", False)
    try:
        assertion = fetch_json(url)
        report.details["credential_id"] = assertion.get("id")
        if assertion.get("id") != url:
            report.errors.append("the assertion's id is not the URL it was fetched from")
        badge = assertion["badge"]
        badge = fetch_json(badge) if isinstance(badge, str) else badge
        issuer = badge["issuer"]
        issuer = fetch_json(issuer) if isinstance(issuer, str) else issuer
        if urlsplit(issuer.get("id", "")).netloc != urlsplit(url).netloc:
            report.errors.append("the assertion is not hosted on the issuer's origin")
        report.details["issuer"] = issuer.get("name")
        report.details["badge"] = badge.get("name")
    except (FetchError, KeyError, TypeError) as exc:
        report.errors.append(f"cannot fetch the hosted assertion: {exc}")
        return
    if assertion.get("revoked"):
        report.details["revoked"] = True
        reason = assertion.get("revocationReason") or ""
        report.errors.append(f"revoked{': ' + reason if reason else ''}")
    _check_dates(report, None, assertion.get("expires"), now)
    recipient = assertion.get("recipient") or {}
    _check_recipient(report, [recipient], email, "identity")


def verify_text(text: str, report: Report, email: str | None, now: datetime) -> None:
    """Verify a credential given as JSON text, a compact JWT or a URL."""
    text = text.strip()
    if text.startswith("{"):
        document = json.loads(text)
        if "ClrCredential" in document.get("type", []):
            verify_clr(document, report, now)
        elif "OpenBadgeCredential" in document.get("type", []) or "proof" in document:
            report.details["format"] = "ob3-data-integrity"
            verify_ob3(document, report, email, now)
        elif document.get("type") == "Assertion" and document.get("id"):
            verify_ob2(document["id"], report, email, now)
        else:
            report.errors.append("not an Open Badge")
    elif text.startswith(("http://", "https://")):
        _verify_url(text, report, email, now)
    elif text.count(".") == 2:
        report.details["format"] = "ob3-jwt"
        credential, errors = check_jwt(text)
        report.details["signature"] = not errors
        report.errors.extend(errors)
        if credential is not None and "ClrCredential" in credential.get("type", []):
            verify_clr(credential, report, now, proof_checked=True)
        elif credential is not None:
            verify_ob3(credential, report, email, now, proof_checked=True)
    else:
        report.errors.append("not an Open Badge (expected JSON, a JWT or a URL)")


def _verify_url(url: str, report: Report, email: str | None, now: datetime) -> None:
    try:
        status, body = fetch(url, accept=_JSON_ACCEPT + ", image/png;q=0.5")
    except FetchError as exc:
        report.errors.append(str(exc))
        return
    if status not in (200, 410):
        report.errors.append(f"{url} answered HTTP {status}")
        return
    if body.lstrip().startswith(b"{"):
        document = json.loads(body)
        if document.get("type") == "Assertion":
            verify_ob2(url, report, email, now)
        else:
            verify_text(body.decode(), report, email, now)
    else:
        verify_bytes(body, report, email, now)


def verify_bytes(data: bytes, report: Report, email: str | None, now: datetime) -> None:
    """Verify a baked PNG/SVG or a file holding JSON / a JWT."""
    try:
        baked = unbake(data)
    except BakingError:
        baked = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            report.errors.append("not a PNG, SVG, JSON credential or JWT")
            return
        verify_text(text, report, email, now)
        return
    if baked is None:
        report.errors.append("the image carries no Open Badge")
        return
    report.details["baked"] = baked.keyword
    verify_text(baked.text, report, email, now)


def verify(source: str | bytes, *, email: str | None = None, now: datetime | None = None) -> Report:
    """Verify a credential: bytes (image/JSON/JWT), or a string (JSON, JWT or URL)."""
    report = Report()
    now = now or datetime.now(UTC)
    try:
        if isinstance(source, bytes):
            verify_bytes(source, report, email, now)
        else:
            verify_text(source, report, email, now)
    except (ValueError, KeyError, TypeError) as exc:
        report.errors.append(f"malformed credential: {exc}")
    return report
