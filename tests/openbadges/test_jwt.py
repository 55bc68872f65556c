"""VC-JWT: ES256 by default, EdDSA on request; ``kid`` dereferences to a bare JWK.

The signature is checked with PyJWT, a JOSE implementation independent of the signer
(joserfc) and of the tool's verifier, from nothing but the token and what ``kid`` answers.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import jwt as pyjwt
import pytest
from sqlalchemy import select

from app.extensions import db
from app.openbadges import documents, issuers, operations
from app.openbadges.keys import public_jwk, public_key_from_multikey
from app.openbadges.models import IssuerKey, KeyAlgorithm
from app.openbadges.signing import make_jwt_signer, sign_jwt
from app.openbadges.verify import verify
from tests.factories import IssuerFactory


def _header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _get(client, url: str, accept: str = "application/json"):
    response = client.get(
        urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else ""),
        headers={"Accept": accept},
    )
    assert response.status_code == 200, (url, response.status_code)
    return response


def _check_independently(client, token: str, alg: str) -> dict:
    header = _header(token)
    assert header["alg"] == alg
    jwk_answer = _get(client, header["kid"])
    assert jwk_answer.mimetype == "application/jwk+json"
    jwk = jwk_answer.json
    assert "keys" not in jwk and "d" not in jwk and jwk["kid"] == header["kid"]
    key = pyjwt.PyJWK(jwk, algorithm=alg)
    claims = pyjwt.decode(token, key, algorithms=[alg], options={"verify_aud": False})
    # The same key is in the JWK set the issuer's controller document links.
    controller = _get(client, claims["iss"]).json
    (service,) = [s for s in controller["service"] if s["type"] == "JsonWebKeySet"]
    assert jwk in _get(client, service["serviceEndpoint"]).json["keys"]
    return claims


def test_es256_by_default_with_kid_dereferencing_to_a_bare_jwk(client, badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    token = _get(client, assertion.credential["id"], "application/vc+jwt").get_data(as_text=True)
    claims = _check_independently(client, token, "ES256")
    assert claims["jti"] == assertion.credential["id"]
    assert claims["credentialSubject"] == assertion.credential["credentialSubject"]
    assert _get(client, _header(token)["kid"]).json["crv"] == "P-256"
    assert verify(token).valid


def test_eddsa_where_a_caller_asks(client, badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    token = _get(client, assertion.credential["id"] + "?alg=EdDSA", "application/vc+jwt").get_data(
        as_text=True
    )
    _check_independently(client, token, "EdDSA")
    assert verify(token).valid
    bad = client.get(
        urlsplit(assertion.credential["id"]).path + "?alg=HS256",
        headers={"Accept": "application/vc+jwt"},
    )
    assert bad.status_code == 400


def test_altered_or_foreign_tokens_fail(client, badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    head, payload, signature = assertion.credential_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["name"] = "Something else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    report = verify(f"{head}.{forged}.{signature}")
    assert not report.valid and any("does not verify" in e for e in report.errors)
    # Signed by another issuer's key while claiming this issuer: the kid is not vouched for.
    other = IssuerFactory(name="Elsewhere", url="https://else.example", email="b@else.example")
    unsigned = {k: v for k, v in assertion.credential.items() if k != "proof"}
    stranger = sign_jwt(unsigned, issuers.jwt_signer(other))
    report = verify(stranger)
    assert not report.valid and any("does not publish" in e for e in report.errors)


def test_rotation_keeps_old_tokens_and_issuers_without_p256_get_one(client, badge):
    first = operations.issue(badge, operations.Recipient(email="a@example.org")).assertion
    old_kid = _header(first.credential_jwt)["kid"]
    issuers.rotate_key(badge.issuer)
    second = operations.issue(badge, operations.Recipient(email="b@example.org")).assertion
    assert _header(second.credential_jwt)["kid"] != old_kid
    for assertion in (first, second):
        _check_independently(client, assertion.credential_jwt, "ES256")
    # An issuer from before ES256: only Ed25519 keys; its next award brings a P-256 key.
    for key in db.session.scalars(
        select(IssuerKey).where(IssuerKey.algorithm == KeyAlgorithm.P256)
    ):
        db.session.delete(key)
    db.session.commit()
    third = operations.issue(badge, operations.Recipient(email="c@example.org")).assertion
    _check_independently(client, third.credential_jwt, "ES256")


def test_eddsa_tokens_with_the_old_fragment_kid_keep_verifying(badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    key, signer = issuers.signing_key(badge.issuer)
    legacy_kid = documents.legacy_verification_method(badge.issuer, key)
    unsigned = {k: v for k, v in assertion.credential.items() if k != "proof"}
    token = sign_jwt(unsigned, make_jwt_signer(signer.private_key, legacy_kid))
    assert _header(token) == {"alg": "EdDSA", "typ": "JWT", "kid": legacy_kid}
    assert verify(token).valid
    jwk = public_jwk(public_key_from_multikey(key.public_key_multibase), legacy_kid)
    pyjwt.decode(
        token,
        pyjwt.PyJWK(jwk, algorithm="EdDSA"),
        algorithms=["EdDSA"],
        options={"verify_aud": False},
    )


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_only_asymmetric_algorithms_are_accepted(badge, alg):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    _head, payload, signature = assertion.credential_jwt.split(".")
    head = base64.urlsafe_b64encode(json.dumps({"alg": alg}).encode()).rstrip(b"=").decode()
    report = verify(f"{head}.{payload}.{signature}")
    assert not report.valid and any("unsupported JWT algorithm" in e for e in report.errors)
