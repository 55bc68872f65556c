"""Learner Credential Wallet's flow, as LCW sends it: the ``dccrequest://request`` deep link
names a VC-API exchange; the wallet POSTs ``{}``, gets a DID Authentication request, answers
with a presentation signed over the challenge, and receives the bound credential."""

from __future__ import annotations

import json

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.audit import SYSTEM
from app.awards import operations as awards
from app.extensions import db
from app.openbadges.verify import verify
from app.wallets.models import WalletCredential
from tests.wallets.conftest import add_to_wallet
from tests.wallets.test_oid4vci import schema_errors
from tests.wallets.wallet import Wallet


def _exchange(client, earned) -> tuple[str, dict]:
    """The learner chooses "Add to wallet"; LCW opens the deep link and starts the exchange."""
    page = add_to_wallet(client, earned.assertion.public_id, earned.token)
    assert page.status == 200, page.html
    request = Wallet.lcw_request(page.href("lcw-link"))
    url = request["protocols"]["vcapi"]
    first = Wallet().exchange(url, {})
    assert first.status == 200, first.body
    return url, first.body["verifiablePresentationRequest"]


def test_lcw_authenticates_and_receives_the_bound_credential(client, earned, tool_url):
    url, vpr = _exchange(client, earned)
    assert vpr["query"][0]["type"] == "DIDAuthentication"
    assert vpr["domain"] == tool_url
    endpoint = vpr["interact"]["service"][0]["serviceEndpoint"]
    assert endpoint == url  # LCW answers where the request says (or where it started)
    wallet = Wallet()
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    answer = wallet.exchange(endpoint, {"verifiablePresentation": presentation})
    assert answer.status == 200, answer.body
    # What LCW reads: verifiablePresentation.verifiableCredential[0].
    credential = answer.body["verifiablePresentation"]["verifiableCredential"][0]
    assert credential["credentialSubject"]["id"] == wallet.did
    assert schema_errors(credential) == []
    report = verify(json.dumps(credential))
    assert report.valid, report.errors
    assert credential["credentialStatus"] == earned.assertion.credential["credentialStatus"]
    assert credential["evidence"] == earned.assertion.credential["evidence"]


def test_the_exchange_works_once(client, earned):
    url, vpr = _exchange(client, earned)
    wallet = Wallet()
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    assert wallet.exchange(url, {"verifiablePresentation": presentation}).status == 200
    again = wallet.exchange(url, {"verifiablePresentation": presentation})
    assert again.status == 410
    assert Wallet().exchange(url, {}).status == 410
    assert db.session.query(WalletCredential).count() == 1
    db.session.rollback()


def test_a_presentation_over_another_challenge_is_refused(client, earned):
    url, vpr = _exchange(client, earned)
    wallet = Wallet()
    presentation = wallet.did_authentication("a-challenge-of-our-own", vpr["domain"])
    answer = wallet.exchange(url, {"verifiablePresentation": presentation})
    assert (answer.status, answer.body["error"]) == (400, "invalid_challenge")
    # The refused attempt did not use the exchange up: the right answer still works.
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    assert wallet.exchange(url, {"verifiablePresentation": presentation}).status == 200


def test_a_presentation_signed_by_another_key_is_refused(client, earned):
    url, vpr = _exchange(client, earned)
    wallet = Wallet()
    forged = wallet.did_authentication(
        vpr["challenge"], vpr["domain"], signer=Ed25519PrivateKey.generate()
    )
    answer = wallet.exchange(url, {"verifiablePresentation": forged})
    assert (answer.status, answer.body["error"]) == (400, "invalid_presentation")
    # A holder named by one DID but signing with another's key is refused too.
    other = Wallet()
    mixed = other.did_authentication(vpr["challenge"], vpr["domain"], holder=wallet.did)
    answer = wallet.exchange(url, {"verifiablePresentation": mixed})
    assert (answer.status, answer.body["error"]) == (400, "invalid_presentation")


def test_a_tampered_presentation_is_refused(client, earned):
    url, vpr = _exchange(client, earned)
    wallet = Wallet()
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    presentation["proof"]["domain"] = "https://elsewhere.example"
    answer = wallet.exchange(url, {"verifiablePresentation": presentation})
    assert answer.status == 400


def test_someone_elses_award_has_no_exchange(client, earned):
    assert add_to_wallet(client, earned.other.public_id, earned.token).status == 404
    ben = add_to_wallet(client, earned.other.public_id, earned.other_token)
    assert ben.status == 200  # Ben may: it is his


def test_revocation_shows_on_the_exchanged_copy(client, earned):
    url, vpr = _exchange(client, earned)
    wallet = Wallet()
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    answer = wallet.exchange(url, {"verifiablePresentation": presentation})
    credential = answer.body["verifiablePresentation"]["verifiableCredential"][0]
    awards.revoke(db.session.merge(earned.assertion), "Issued in error", actor=SYSTEM)
    db.session.rollback()
    report = verify(json.dumps(credential))
    assert report.details["revoked"] is True


def test_malformed_answers_get_specific_errors(client, earned):
    url, vpr = _exchange(client, earned)
    response = requests.post(
        url, data=b"not json", headers={"Content-Type": "application/json"}, timeout=60
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    wallet = Wallet()
    unsigned = dict(wallet.did_authentication(vpr["challenge"], None))
    unsigned.pop("proof")
    answer = wallet.exchange(url, {"verifiablePresentation": unsigned})
    assert (answer.status, answer.body["error"]) == (400, "invalid_presentation")
    answer = wallet.exchange(url, {"verifiablePresentation": "a string"})
    assert (answer.status, answer.body["error"]) == (400, "invalid_presentation")
    # None of these used the exchange up.
    presentation = wallet.did_authentication(vpr["challenge"], vpr["domain"])
    assert wallet.exchange(url, {"verifiablePresentation": presentation}).status == 200
