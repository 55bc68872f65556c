"""The proofs a wallet signs, checked against published vectors and as properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import OKPKey

from app.openbadges.jsonld import bundled_contexts
from app.wallets import dids, operations
from app.wallets.proofs import (
    IAT_FUTURE_SECONDS,
    IAT_PAST_SECONDS,
    ProofError,
    check_signature,
    verify_key_proof,
)
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


AUDIENCE = "https://badges.example.edu"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _proof(wallet: Wallet, **claims) -> str:
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": wallet.kid}
    body = {"aud": AUDIENCE, "iat": int(NOW.timestamp()), "nonce": "n-1", **claims}
    return jws.serialize_compact(
        header, json.dumps(body).encode(), OKPKey.import_key(wallet.key), algorithms=["EdDSA"]
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-7200, max_value=7200))
def test_a_key_proof_is_accepted_only_within_its_time_window(offset):
    wallet = Wallet()
    token = _proof(wallet, iat=int(NOW.timestamp()) + offset)
    inside = -IAT_PAST_SECONDS <= offset <= IAT_FUTURE_SECONDS
    try:
        holder = verify_key_proof(token, audience=AUDIENCE, nonce_ok=lambda n: True, now=NOW)
    except ProofError as exc:
        assert not inside and exc.code == "invalid_proof"
    else:
        assert inside and holder == wallet.did


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_a_key_proof_is_accepted_only_for_a_nonce_we_issued(nonce):
    wallet = Wallet()
    token = _proof(wallet, nonce=nonce)
    issued = {"n-1"}
    try:
        verify_key_proof(token, audience=AUDIENCE, nonce_ok=issued.__contains__, now=NOW)
    except ProofError as exc:
        assert nonce not in issued and exc.code == "invalid_nonce"
    else:
        assert nonce in issued


def test_a_c_nonce_expires(app):
    nonce = operations.new_nonce()
    assert operations.nonce_ok(nonce)
    assert not operations.nonce_ok(nonce[:-2] + "xx")
    with freeze_time(datetime.now(UTC) + timedelta(seconds=operations.NONCE_MAX_AGE + 5)):
        assert not operations.nonce_ok(nonce)
