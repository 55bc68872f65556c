"""OID4VCI 1.0, pre-authorized code flow, driven over HTTP by a test wallet that verifies what
it receives: signature with the tool's key, holder binding, the OB 3.0 schema, status."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws, jwt
from joserfc.jwk import ECKey, OKPKey, import_key
from jsonschema import Draft201909Validator
from sqlalchemy import update

from app.audit import SYSTEM
from app.awards import operations as awards
from app.extensions import db
from app.models.base import utcnow
from app.openbadges.jsonld import ob3_schema
from app.openbadges.verify import verify
from app.wallets.dids import did_key
from app.wallets.models import WalletCredential, WalletOffer
from tests.wallets.conftest import add_to_wallet
from tests.wallets.wallet import PRE_AUTHORIZED, Wallet

LDP = "OpenBadgeCredential_ldp_vc"
JWT = "OpenBadgeCredential_jwt_vc_json"
JWT_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat")


def schema_errors(credential: dict) -> list[str]:
    """Errors of ``credential`` against the bundled OB 3.0 AchievementCredential schema."""
    document = {k: v for k, v in credential.items() if k not in JWT_CLAIMS}
    if isinstance(document.get("proof"), dict):
        document["proof"] = [document["proof"]]
    return [e.message for e in Draft201909Validator(ob3_schema()).iter_errors(document)]


def _jwt_header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


class Session:
    """One wallet taking one offer: the offer and the metadata, then token and credentials."""

    def __init__(self, wallet: Wallet, offer_link: str) -> None:
        self.wallet = wallet
        self.offer = wallet.resolve_offer(offer_link)
        self.issuer = self.offer["credential_issuer"]
        self.meta, self.as_meta = wallet.metadata(self.issuer)
        grant = self.offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        self.code = grant["pre-authorized_code"]
        self.tx_code = grant.get("tx_code")

    def token(self, tx_code: str | None = None):
        return self.wallet.token(self.as_meta["token_endpoint"], self.code, tx_code)

    def access(self) -> str:
        answer = self.token()
        assert answer.status == 200, answer.body
        return answer.body["access_token"]

    def nonce(self) -> str:
        return self.wallet.nonce(self.meta["nonce_endpoint"])

    def credential(self, access_token: str, configuration: str, proof: str | None = None):
        proof = proof or self.wallet.key_proof(self.issuer, self.nonce())
        return self.wallet.credential(
            self.meta["credential_endpoint"], access_token, configuration, proof
        )


def start(client, earned, wallet: Wallet | None = None, **kwargs) -> Session:
    """The learner chooses "Add to wallet"; the wallet scans the QR code's link."""
    page = add_to_wallet(client, earned.assertion.public_id, earned.token, **kwargs)
    assert page.status == 200, page.html
    return Session(wallet or Wallet(), page.href("wallet-link"))


def test_a_wallet_takes_the_offer_and_verifies_both_forms(client, earned, tool_url):
    session = start(client, earned)
    wallet = session.wallet
    assert session.issuer == tool_url
    assert set(session.offer["credential_configuration_ids"]) == {LDP, JWT}
    configurations = session.meta["credential_configurations_supported"]
    assert configurations[LDP]["format"] == "ldp_vc"
    assert configurations[JWT]["format"] == "jwt_vc_json"
    assert "did:key" in configurations[LDP]["cryptographic_binding_methods_supported"]
    assert session.as_meta["pre-authorized_grant_anonymous_access_supported"] is True
    assert session.tx_code is None

    token = session.token()
    assert token.status == 200, token.body
    assert token.body["token_type"] == "Bearer"
    access = token.body["access_token"]

    ldp = session.credential(access, LDP)
    assert ldp.status == 200, ldp.body
    credential = ldp.body["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert "OpenBadgeCredential" in credential["type"]
    assert schema_errors(credential) == []
    report = verify(json.dumps(credential))
    assert report.valid, report.errors

    jwt_answer = session.credential(access, JWT)
    assert jwt_answer.status == 200, jwt_answer.body
    token_text = jwt_answer.body["credentials"][0]["credential"]
    # The wallet checks the VC-JWT itself, with the key its kid names, fetched over HTTP.
    issuer_key = import_key(requests.get(_jwt_header(token_text)["kid"], timeout=60).json())
    claims = jwt.decode(token_text, issuer_key, algorithms=["EdDSA", "ES256"]).claims
    assert claims["sub"] == claims["credentialSubject"]["id"] == wallet.did
    assert claims["id"] == credential["id"]  # one bound copy, two forms
    assert schema_errors(claims) == []
    report = verify(token_text)
    assert report.valid, report.errors

    # The bound copy is a new credential of the same award: same status entry and evidence.
    original = earned.assertion.credential
    assert credential["id"] != original["id"]
    assert credential["credentialStatus"] == original["credentialStatus"]
    assert credential["evidence"] == original["evidence"]
    subject = credential["credentialSubject"]
    assert subject["achievement"] == original["credentialSubject"]["achievement"]
    # …kept, and served again at its id.
    again = requests.get(credential["id"], timeout=60)
    assert again.status_code == 200 and again.json() == credential


@pytest.mark.parametrize("curve", ["Ed25519", "P-256"])
def test_a_proof_may_carry_its_key_as_a_jwk(client, earned, curve):
    """A wallet without a DID names its key by ``jwk``; the copy's subject is that key's
    did:key (Ed25519 ``z6Mk…``, P-256 ``zDn…``)."""
    session = start(client, earned)
    access = session.access()
    if curve == "Ed25519":
        key, alg = OKPKey.generate_key("Ed25519"), "EdDSA"
    else:
        key, alg = ECKey.generate_key("P-256"), "ES256"
    header = {"typ": "openid4vci-proof+jwt", "alg": alg, "jwk": key.as_dict(private=False)}
    claims = {"aud": session.issuer, "iat": int(time.time()), "nonce": session.nonce()}
    proof = jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=[alg])
    answer = session.credential(access, LDP, proof)
    assert answer.status == 200, answer.body
    subject = answer.body["credentials"][0]["credential"]["credentialSubject"]["id"]
    assert subject == did_key(key.public_key)
    assert subject.startswith("did:key:z6Mk" if curve == "Ed25519" else "did:key:zDn")
    private = {**key.as_dict(private=True)}
    header["jwk"] = private  # a private key in the header is refused
    leaked = jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=[alg])
    answer = session.credential(access, LDP, leaked)
    assert (answer.status, answer.body["error"]) == (400, "invalid_proof")


def test_the_offer_document_is_not_cached_and_the_code_is_stored_hashed(client, earned):
    page = add_to_wallet(client, earned.assertion.public_id, earned.token)
    uri = parse_qs(urlsplit(page.href("wallet-link")).query)["credential_offer_uri"][0]
    response = requests.get(uri, timeout=60)
    assert response.headers["Cache-Control"] == "no-store"
    code = response.json()["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    row = db.session.query(WalletOffer).one()
    assert code not in (row.code_hash, row.key_hash, row.challenge)
    assert row.code_hash == hashlib.sha256(code.encode()).hexdigest()
    db.session.rollback()


def test_a_pre_authorized_code_works_once(client, earned):
    session = start(client, earned)
    assert session.token().status == 200
    again = session.token()
    assert (again.status, again.body["error"]) == (400, "invalid_grant")
    # …and so does the offer document behind the QR code.
    page = add_to_wallet(client, earned.assertion.public_id, earned.token)
    first = Wallet().resolve_offer(page.href("wallet-link"))
    assert first["grants"]
    Session(Wallet(), page.href("wallet-link")).access()
    uri = page.href("wallet-link").split("credential_offer_uri=")[1]
    assert requests.get(requests.utils.unquote(uri), timeout=60).status_code == 410


def test_an_expired_code_is_refused(client, earned):
    session = start(client, earned)
    db.session.execute(update(WalletOffer).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    answer = session.token()
    assert (answer.status, answer.body["error"]) == (400, "invalid_grant")


def test_a_pin_is_asked_for_and_checked(client, earned):
    page = add_to_wallet(client, earned.assertion.public_id, earned.token, pin=True)
    assert page.pin and len(page.pin) == 6
    session = Session(Wallet(), page.href("wallet-link"))
    assert session.tx_code == {
        "input_mode": "numeric",
        "length": 6,
        "description": session.tx_code["description"],
    }
    missing = session.token()
    assert (missing.status, missing.body["error"]) == (400, "invalid_request")
    wrong = session.token(tx_code="000000" if page.pin != "000000" else "111111")
    assert (wrong.status, wrong.body["error"]) == (400, "invalid_grant")
    assert session.token(tx_code=page.pin).status == 200


def test_a_proof_with_a_wrong_nonce_is_refused(client, earned):
    session = start(client, earned)
    access = session.access()
    for nonce in ("not-a-nonce-we-issued", session.nonce() + "x"):
        proof = session.wallet.key_proof(session.issuer, nonce)
        answer = session.credential(access, LDP, proof)
        assert (answer.status, answer.body["error"]) == (400, "invalid_nonce")
    assert db.session.query(WalletCredential).count() == 0
    db.session.rollback()


def test_a_proof_signed_by_another_key_is_refused(client, earned):
    session = start(client, earned)
    access = session.access()
    forged = session.wallet.key_proof(
        session.issuer, session.nonce(), signer=Ed25519PrivateKey.generate()
    )
    answer = session.credential(access, LDP, forged)
    assert (answer.status, answer.body["error"]) == (400, "invalid_proof")


def test_a_proof_for_another_issuer_is_refused(client, earned):
    session = start(client, earned)
    access = session.access()
    proof = session.wallet.key_proof("https://elsewhere.example", session.nonce())
    answer = session.credential(access, LDP, proof)
    assert (answer.status, answer.body["error"]) == (400, "invalid_proof")


def test_once_bound_an_offer_serves_no_other_holder(client, earned):
    session = start(client, earned)
    access = session.access()
    assert session.credential(access, LDP).status == 200
    thief = Wallet()
    proof = thief.key_proof(session.issuer, session.nonce())
    answer = session.credential(access, JWT, proof)
    assert (answer.status, answer.body["error"]) == (400, "credential_request_denied")


def test_the_credential_endpoint_needs_the_access_token(client, earned):
    session = start(client, earned)
    session.access()
    answer = session.credential("not-a-token", LDP)
    assert (answer.status, answer.body["error"]) == (401, "invalid_token")


def test_an_unknown_configuration_is_refused(client, earned):
    session = start(client, earned)
    access = session.access()
    answer = session.credential(access, "ClrCredential_ldp_vc")
    assert (answer.status, answer.body["error"]) == (400, "unknown_credential_configuration")
    proof = session.wallet.key_proof(session.issuer, session.nonce())
    for body, error in (
        (
            {"credential_identifier": "x", "proofs": {"jwt": [proof]}},
            "unknown_credential_identifier",
        ),
        ({"proofs": {"jwt": [proof]}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": LDP, "proofs": {"jwt": [proof, proof]}},
            "invalid_credential_request",
        ),
        ({"credential_configuration_id": LDP}, "invalid_proof"),
    ):
        response = requests.post(
            session.meta["credential_endpoint"],
            json=body,
            headers={"Authorization": f"Bearer {access}"},
            timeout=60,
        )
        assert (response.status_code, response.json()["error"]) == (400, error), body


def test_someone_elses_award_cannot_be_offered(client, earned):
    page = add_to_wallet(client, earned.other.public_id, earned.token)
    assert page.status == 404
    assert db.session.query(WalletOffer).count() == 0
    db.session.rollback()
    no_token = client.post(f"/learner/wallet/badge/{earned.assertion.public_id}")
    assert no_token.status_code in (401, 403)


def test_revoking_the_award_revokes_the_bound_copy(client, earned):
    session = start(client, earned)
    access = session.access()
    credential = session.credential(access, LDP).body["credentials"][0]["credential"]
    token_text = session.credential(access, JWT).body["credentials"][0]["credential"]
    assert verify(json.dumps(credential)).valid

    awards.revoke(db.session.merge(earned.assertion), "Plagiarism", actor=SYSTEM)
    db.session.rollback()

    for form in (json.dumps(credential), token_text):
        report = verify(form)
        assert report.details["revoked"] is True, report.errors
        assert "revoked" in report.errors
    # No new offer of a revoked award…
    assert add_to_wallet(client, earned.assertion.public_id, earned.token).status == 409


def test_an_offer_taken_after_revocation_delivers_nothing(client, earned):
    session = start(client, earned)
    access = session.access()
    awards.revoke(db.session.merge(earned.assertion), "Plagiarism", actor=SYSTEM)
    db.session.rollback()
    answer = session.credential(access, LDP)
    assert (answer.status, answer.body["error"]) == (400, "credential_request_denied")


@pytest.mark.parametrize("path", ["/.well-known/openid-credential-issuer"])
def test_metadata_is_served_as_json(client, earned, path, tool_url):
    response = requests.get(tool_url + path, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["credential_issuer"] == tool_url


def test_a_draft_13_wallet_is_served_too(client, earned):
    """Wallets in the field still speak draft 13: ``c_nonce`` from the token response,
    ``format`` and a single ``proof`` in the request, ``credential`` in the answer."""
    session = start(client, earned)
    token = session.token()
    proof = session.wallet.key_proof(session.issuer, token.body["c_nonce"])
    response = requests.post(
        session.meta["credential_endpoint"],
        json={
            "format": "jwt_vc_json",
            "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
            "proof": {"proof_type": "jwt", "jwt": proof},
        },
        headers={"Authorization": f"Bearer {token.body['access_token']}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "jwt_vc_json" and body["c_nonce"]
    assert verify(body["credential"]).valid
    assert _jwt_header(body["credential"])["typ"] == "JWT"


def test_erasing_the_learner_forgets_their_wallet_copies(client, earned):
    from app.privacy.operations import erase_person, find_person

    session = start(client, earned)
    credential = session.credential(session.access(), LDP).body["credentials"][0]["credential"]
    assert db.session.query(WalletCredential).count() == 1
    db.session.rollback()
    erase_person(find_person(email="ana@example.org"), SYSTEM)
    assert db.session.query(WalletCredential).count() == 0
    assert db.session.query(WalletOffer).count() == 0
    db.session.rollback()
    assert requests.get(credential["id"], timeout=60).status_code == 404
    report = verify(json.dumps(credential))
    assert report.details["revoked"] is True
