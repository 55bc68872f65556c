"""Keys resolve the way the DCC and Digital Bazaar verifiers resolve them.

Their document loaders fetch the proof's ``verificationMethod`` URL and use the whole
document it answers as the key: they never select a ``#fragment`` inside a larger document.
The key must be a Multikey with ``controller`` and ``publicKeyMultibase``, and its controller
(the issuer) must list it under ``assertionMethod``. ``dcc_verify`` below does exactly that,
with plain pyld (bundled contexts) and ``cryptography``: none of the tool's verifier.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import pytest
from cryptography.exceptions import InvalidSignature

from app.openbadges import documents, issuers, jsonld, operations
from app.openbadges.keys import from_multibase_b58, public_key_from_multikey
from app.openbadges.signing import add_proof, make_signing_key
from app.openbadges.verify import verify
from tests.factories import IssuerFactory

MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


class Rejected(Exception):
    """What the verifier would report."""


def _loader(client):
    def load(url: str) -> dict:
        # An HTTP GET: the fragment never reaches the server, and nothing selects it after.
        response = client.get(urlsplit(url).path, headers={"Accept": "application/ld+json"})
        if response.status_code != 200:
            raise Rejected(f"{url} answered {response.status_code}")
        return json.loads(response.get_data())

    return load


def dcc_verify(credential: dict, load) -> None:
    """Verify an ``eddsa-rdfc-2022`` proof as DCC's verifier does; Rejected if it fails."""
    proof = credential["proof"][0]
    method_id = proof["verificationMethod"]
    method = load(method_id)
    # @digitalbazaar/ed25519-multikey's from(): a Multikey document, with its context.
    if method.get("type") != "Multikey" or MULTIKEY_CONTEXT not in method.get("@context", []):
        raise Rejected("not a Multikey document")
    if not method.get("publicKeyMultibase"):
        raise Rejected("The publicKeyMultibase property is required.")
    if method.get("id") != method_id or not method.get("controller"):
        raise Rejected("the key document does not name itself and its controller")
    # jsonld-signatures' AssertionProofPurpose: the controller lists the key.
    controller = load(method["controller"])
    listed = [
        m if isinstance(m, str) else m.get("id") for m in controller.get("assertionMethod", [])
    ]
    if method_id not in listed:
        raise Rejected("the controller does not authorize the key for assertionMethod")
    issuer = credential["issuer"]
    if (issuer["id"] if isinstance(issuer, dict) else issuer) != method["controller"]:
        raise Rejected("the key's controller is not the issuer")
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = credential["@context"]
    data = (
        hashlib.sha256(jsonld.canonize(options).encode()).digest()
        + hashlib.sha256(jsonld.canonize(unsigned).encode()).digest()
    )
    public_key_from_multikey(method["publicKeyMultibase"]).verify(
        from_multibase_b58(proof["proofValue"]), data
    )


def test_new_credentials_verify_with_a_loader_that_never_selects_fragments(client, badge):
    credential = operations.issue(
        badge, operations.Recipient(email="ana@example.org")
    ).assertion.credential
    method_id = credential["proof"][0]["verificationMethod"]
    assert "#" not in method_id
    dcc_verify(credential, _loader(client))
    key = client.get(urlsplit(method_id).path).json
    assert key["controller"] == credential["issuer"]["id"] and key["type"] == "Multikey"


def test_tampering_and_foreign_keys_are_still_rejected(client, badge, issuer):
    credential = operations.issue(
        badge, operations.Recipient(email="ana@example.org")
    ).assertion.credential
    altered = {**credential, "name": "Something else"}
    with pytest.raises(InvalidSignature):
        dcc_verify(altered, _loader(client))
    assert not verify(json.dumps(altered)).valid
    # A key of another issuer, named by a credential claiming to be from this one.
    other = IssuerFactory(name="Elsewhere", url="https://else.example", email="b@else.example")
    _key, foreign = issuers.signing_key(other)
    forged = add_proof(
        {k: v for k, v in credential.items() if k != "proof"},
        foreign,
        badge.created_at,
    )
    with pytest.raises(Rejected, match="controller"):
        dcc_verify(forged, _loader(client))
    report = verify(json.dumps(forged))
    assert not report.valid and any("not the issuer" in e for e in report.errors)


def test_credentials_signed_with_the_old_fragment_ids_keep_verifying(client, badge):
    """Before keys had their own URLs, credentials named ``<issuer>#z6Mk…``."""
    issued = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    issuer = badge.issuer
    key, signer = issuers.signing_key(issuer)
    legacy = make_signing_key(signer.private_key, documents.legacy_verification_method(issuer, key))
    old = add_proof(
        {k: v for k, v in issued.credential.items() if k != "proof"},
        legacy,
        issued.issued_on,
    )
    assert old["proof"][0]["verificationMethod"].endswith("#" + key.public_key_multibase)
    assert verify(json.dumps(old)).valid
    # What DCC did with every credential before: the whole controller document is no key.
    with pytest.raises(Rejected, match=r"Multikey|publicKeyMultibase"):
        dcc_verify(old, _loader(client))


def test_rotated_keys_stay_resolvable_and_revoked_ones_do_not(client, badge):
    first = operations.issue(badge, operations.Recipient(email="a@example.org")).assertion
    issuers.rotate_key(badge.issuer)
    second = operations.issue(badge, operations.Recipient(email="b@example.org")).assertion
    for assertion in (first, second):
        dcc_verify(assertion.credential, _loader(client))
    old_key = badge.issuer.keys[0]
    old_key.status = "revoked"
    from app.extensions import db

    db.session.commit()
    with pytest.raises(Rejected, match="404"):
        dcc_verify(first.credential, _loader(client))
    assert not verify(json.dumps(first.credential)).valid
