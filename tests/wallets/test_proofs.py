"""The proofs a wallet signs, checked against published vectors and as properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from hypothesis import given, settings
from hypothesis import strategies as st

from app.openbadges.jsonld import bundled_contexts
from app.wallets import dids
from app.wallets.proofs import check_signature
from tests.wallets.wallet import Wallet

VECTOR = json.loads((Path(__file__).parent / "vectors" / "ed25519_signature_2020.json").read_text())
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture
def examples_context(monkeypatch):
    """The vector's examples context, for this test only (the tool never bundles it)."""
    monkeypatch.setitem(bundled_contexts(), EXAMPLES_V2, VECTOR["examplesContext"])


def test_an_ed25519_signature_2020_vector_verifies(examples_context):
    signed = VECTOR["signed"]
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    key = dids.resolve(signed["proof"]["verificationMethod"])
    check_signature(unsigned, signed["proof"], key)
    altered = {**unsigned, "name": "Alumnus Credential"}
    with pytest.raises(InvalidSignature):
        check_signature(altered, signed["proof"], key)


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_did_key_names_exactly_its_key(seed):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(seed)
    did = dids.did_key(key.public_key())
    assert Wallet(key).did == did  # the test wallet's own encoding agrees
    assert dids.resolve(did) == key.public_key()
    assert dids.resolve(f"{did}#{did.removeprefix('did:key:')}") == key.public_key()
    with pytest.raises(dids.DidError):
        dids.resolve(f"{did}#another-key")
