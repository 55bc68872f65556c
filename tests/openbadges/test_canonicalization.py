"""The fast canonicalizer against 1EdTech's vector and plain pyld."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld.jsonld import JsonLdError

from app.openbadges import jsonld
from app.openbadges.keys import private_from_seed
from app.openbadges.rdfc import Canonicalizer
from app.openbadges.signing import add_proof, make_signing_key, proof_options

VECTORS = Path(__file__).parent / "vectors"
SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")


def _vector():
    document = json.loads((VECTORS / "ob3-1edtech-testvector.json").read_text())
    return document, document.pop("proof")


@pytest.mark.parametrize(
    "canonize", [jsonld.canonize, Canonicalizer().canonize], ids=["pyld", "fast"]
)
def test_vector_canonical_forms(canonize):
    document, proof = _vector()
    expected = (VECTORS / "ob3-1edtech-testvector-document-canon.txt").read_text()
    assert canonize(document) == expected
    assert hashlib.sha256(expected.encode()).hexdigest() == (
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    )
    options = proof_options(document, proof["verificationMethod"], proof["created"])
    assert canonize(options) == (VECTORS / "ob3-1edtech-testvector-proof-canon.txt").read_text()


def test_resigning_vector_reproduces_proof_value():
    document, proof = _vector()
    key = make_signing_key(private_from_seed(SEED), proof["verificationMethod"])
    signed = add_proof(document, key, datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC))
    assert signed["proof"][0]["proofValue"] == proof["proofValue"]


def test_loader_refuses_unknown_urls():
    with pytest.raises(jsonld.UnknownContextError):
        jsonld.document_loader("https://evil.example/context.json")
    with pytest.raises(JsonLdError) as refused:
        jsonld.canonize({"@context": "https://evil.example/context.json", "name": "x"})
    causes, error = [], refused.value
    while error is not None:  # pyld wraps the loader's error once per layer
        causes.append(type(error))
        error = error.__cause__
    assert causes[-1] is jsonld.UnknownContextError


def test_iri_schemes_are_not_context_terms():
    # The fast path keeps values in these schemes as IRIs unchanged; a context defining
    # one of them as a prefix would expand them instead.
    for document in jsonld.bundled_contexts().values():
        terms = (
            set(document.get("@context", {}))
            if isinstance(document.get("@context"), dict)
            else set()
        )
        assert not terms & {"http", "https", "urn", "did", "mailto"}


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
iri = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[a-z0-9/_-]{0,12}", fullmatch=True),
)
when = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
)


@st.composite
def credentials(draw):
    issuer = {"id": draw(iri), "type": ["Profile"], "name": draw(text)}
    achievement = {
        "id": draw(iri),
        "type": ["Achievement"],
        "name": draw(text),
        "description": draw(text),
        "criteria": {"narrative": draw(text)},
        "creator": issuer if draw(st.booleans()) else {**issuer, "id": draw(iri)},
    }
    if draw(st.booleans()):
        achievement["tag"] = draw(st.lists(text, max_size=3))
    if draw(st.booleans()):
        achievement["alignment"] = [
            {"type": ["Alignment"], "targetName": draw(text), "targetUrl": draw(iri)}
        ]
    subject = {
        "id": "urn:uuid:" + draw(st.uuids()).hex,
        "type": ["AchievementSubject"],
        "achievement": achievement,
    }
    if draw(st.booleans()):
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": draw(text),
                "identityType": "emailAddress",
                "salt": draw(text),
            }
        ]
    doc = {
        "@context": jsonld.OB3_CONTEXT,
        "id": draw(iri),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": draw(when),
        "name": draw(text),
        "credentialSubject": subject,
    }
    evidence = draw(
        st.lists(
            st.fixed_dictionaries({"type": st.just(["Evidence"]), "narrative": text}), max_size=3
        )
    )
    if evidence:
        doc["evidence"] = evidence
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credentials())
def test_fast_path_matches_pyld(document):
    fast = Canonicalizer()
    expected = jsonld.canonize(document)
    assert fast.canonize(document) == expected
    # A second document of the same shape goes through the cached template; in a batch,
    # what documents share (here: everything) is walked once.
    assert fast.canonize(document) == expected
    assert fast.canonize_many([document, {**document}]) == [expected, expected]


def test_a_value_repeated_on_a_blank_node_is_one_quad():
    # Two slots of a blank node (an evidence entry) holding the same value write the same
    # quad twice; the dataset holds it once, and so must the blank node's first-degree hash.
    fast = Canonicalizer()
    base = {
        "@context": jsonld.OB3_CONTEXT,
        "id": "https://example.org/credentials/1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.org/issuer", "type": ["Profile"], "name": "U"},
        "validFrom": "2024-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "name": "Learner"},
    }
    for narratives in (["Quiz 1: 80 %", "Quiz 1: 80 %"], ["Quiz 1: 80 %", "Quiz 2: 90 %"]):
        document = {**base, "evidence": [{"type": ["Evidence"], "narrative": narratives}]}
        assert fast.canonize(document) == jsonld.canonize(document)
    assert fast.fallbacks == 0
    assert [t.may_repeat for t in fast._templates.values() if t] == [True]
