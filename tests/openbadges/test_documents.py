"""Every document we serve: schema-valid, no JSON-LD term dropped, served as specified."""

from __future__ import annotations

import json

from jsonschema import Draft201909Validator
from pyld import jsonld as pyld

from app.extensions import db
from app.openbadges import documents, issuers, jsonld, operations
from app.openbadges.models import StatusList


def _expanded_keys(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            found |= _expanded_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _expanded_keys(value)
    return found


def _compact_keys(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                found.add(key)
                found |= _compact_keys(value)
    elif isinstance(node, list):
        for value in node:
            found |= _compact_keys(value)
    return found


def _round_trip_keeps_every_key(document):
    expanded = jsonld.expand(document)
    compacted = pyld.compact(
        expanded, {"@context": document["@context"]}, {"documentLoader": jsonld.document_loader}
    )
    assert _compact_keys(document) == _compact_keys(compacted)
    assert all(k.startswith(("@", "http", "urn")) for k in _expanded_keys(expanded))


def test_credential_is_schema_valid_and_keeps_every_term(badge):
    issued = operations.issue(
        badge,
        operations.Recipient(email="ana@example.org", name="Ana"),
        evidence=[{"url": "https://lms.example/g/1", "narrative": "Scored 85 %"}],
    )
    credential = issued.assertion.credential
    assert list(Draft201909Validator(jsonld.ob3_schema()).iter_errors(credential)) == []
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    _round_trip_keeps_every_key(unsigned)
    _round_trip_keeps_every_key(documents.ob3_achievement(badge, context=True))


def test_status_list_and_controller_keep_every_term(badge, app):
    operations.issue(badge, operations.Recipient(email="ana@example.org"))
    status_list = StatusList.query.one()
    _round_trip_keeps_every_key({k: v for k, v in status_list.credential.items() if k != "proof"})
    _round_trip_keeps_every_key(documents.controller_document(badge.issuer))
    _round_trip_keeps_every_key(documents.key_document(badge.issuer, badge.issuer.keys[0]))


def test_ob2_documents_keep_every_term(badge):
    issued = operations.issue(
        badge,
        operations.Recipient(email="ana@example.org"),
        evidence=[{"url": "https://lms.example/g/1"}],
    )
    operations.revoke(issued.assertion, "mistake")
    db.session.commit()
    for doc in (
        documents.ob2_issuer(badge.issuer),
        documents.ob2_badgeclass(badge),
        documents.ob2_assertion(issued.assertion),
    ):
        _round_trip_keeps_every_key(doc)
    assertion = documents.ob2_assertion(issued.assertion)
    assert assertion["revoked"] is True and assertion["revocationReason"] == "mistake"
    assert assertion["recipient"]["identity"].startswith("sha256$")
    assert "email" in documents.ob2_issuer(badge.issuer)


def test_content_negotiation_and_caching(client, badge):
    issued = operations.issue(badge, operations.Recipient(email="ana@example.org", name="Ana"))
    operations.accept(issued.assertion)  # her name is public once she accepted
    db.session.commit()
    pid = issued.assertion.public_id
    url = f"/ob/v3/credentials/{pid}"
    as_json = client.get(url, headers={"Accept": "application/ld+json"})
    assert as_json.status_code == 200 and as_json.json["id"].endswith(url)
    assert as_json.headers["ETag"] and "max-age" in as_json.headers["Cache-Control"]
    again = client.get(
        url, headers={"Accept": "application/ld+json", "If-None-Match": as_json.headers["ETag"]}
    )
    assert again.status_code == 304
    jwt = client.get(url, headers={"Accept": "application/vc+jwt"})
    assert jwt.mimetype == "application/vc+jwt" and jwt.get_data(as_text=True).count(".") == 2
    page = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and 'property="og:title"' in html and "Ana" in html
    operations.set_public(issued.assertion, False)
    assert "Ana" not in client.get(f"/ob/verify/{pid}").get_data(as_text=True)
    ob2 = client.get(f"/ob/v2/assertions/{pid}", headers={"Accept": "application/json"})
    assert ob2.json["id"] == f"http://localhost/ob/v2/assertions/{pid}"
    issuer = client.get(ob2.json["badge"].replace("http://localhost", "")).json["issuer"]
    assert client.get(issuer.replace("http://localhost", "")).json["email"]


def test_controller_lists_old_keys_after_rotation(client, badge):
    first = operations.issue(badge, operations.Recipient(email="a@example.org")).assertion
    issuers.rotate_key(badge.issuer)
    second = operations.issue(badge, operations.Recipient(email="b@example.org")).assertion
    methods = {
        m if isinstance(m, str) else m["id"]
        for m in documents.controller_document(badge.issuer)["assertionMethod"]
    }
    used = {a.credential["proof"][0]["verificationMethod"] for a in (first, second)}
    assert len(used) == 2 and used <= methods
    from app.openbadges.verify import verify

    assert verify(json.dumps(first.credential)).valid
    assert verify(json.dumps(second.credential)).valid
