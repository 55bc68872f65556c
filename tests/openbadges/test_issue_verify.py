"""Issuing (idempotent, concurrent), revoking, expiry, and our verifier's verdicts."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.openbadges import operations
from app.openbadges.models import Assertion, Badge, StoredAssertion
from app.openbadges.verify import verify
from tests.factories import BadgeFactory


def test_issue_is_idempotent(badge):
    first = operations.issue(badge, operations.Recipient(email="Ana@Example.org"))
    again = operations.issue(badge, operations.Recipient(email=" ana@example.org "))
    assert first.created and not again.created
    assert again.assertion.public_id == first.assertion.public_id
    assert Assertion.query.count() == 1


def test_random_identities_are_version_4_uuids_and_hex_salts():
    drawn = operations.random_identities(300)
    assert len(drawn) == 300
    for salt, subject, public_id in drawn:
        assert len(salt) == 32 and bytes.fromhex(salt)
        for text in (subject, public_id):
            parsed = uuid.UUID(text)
            assert str(parsed) == text
            assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    values = [value for identities in drawn for value in identities]
    assert len(set(values)) == len(values)


def test_reissue_after_revocation(badge):
    first = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    operations.revoke(first, "mistake")
    db.session.commit()
    second = operations.issue(badge, operations.Recipient(email="ana@example.org"))
    assert second.created and second.assertion.public_id != first.public_id


def test_concurrent_issue_yields_one_assertion(app, badge):
    badge_id = badge.id
    barrier = threading.Barrier(8)
    ids, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                issued = operations.issue(
                    db.session.get(Badge, badge_id), operations.Recipient(email="race@example.org")
                )
                ids.append(issued.assertion.public_id)
            except Exception as exc:  # report any failure, not just the first
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 1
    db.session.rollback()  # end this thread's read snapshot before counting
    assert Assertion.query.filter_by(recipient_key="email:race@example.org").count() == 1


def test_valid_credential_verifies_in_every_form(client, badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    for source in (
        json.dumps(assertion.credential),
        assertion.credential_jwt,
        f"http://localhost/ob/v3/credentials/{assertion.public_id}",
        f"http://localhost/ob/v2/assertions/{assertion.public_id}",
    ):
        report = verify(source, email="ana@example.org")
        assert report.valid, (source[:60], report.errors)
    assert not verify(assertion.credential_jwt, email="bob@example.org").valid


def test_tampered_credential_is_reported(badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    tampered = json.loads(json.dumps(assertion.credential))
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    report = verify(json.dumps(tampered))
    assert not report.valid and any("altered" in e for e in report.errors)
    head, payload, signature = assertion.credential_jwt.split(".")
    forged = f"{head}.{payload[:-4]}AAAA.{signature}"
    assert not verify(forged).valid


def test_revoked_credential_is_reported(badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    operations.revoke(assertion, "academic misconduct")
    db.session.commit()
    for source in (
        json.dumps(assertion.credential),
        assertion.credential_jwt,
        f"http://localhost/ob/v2/assertions/{assertion.public_id}",
    ):
        report = verify(source)
        assert not report.valid and report.details["revoked"], source[:40]


def test_expired_credential_is_reported(badge):
    later = datetime.now(UTC) + timedelta(days=31)
    assertion = operations.issue(
        badge,
        operations.Recipient(email="ana@example.org"),
        expires_at=datetime.now(UTC) + timedelta(days=30),
    ).assertion
    report = verify(json.dumps(assertion.credential), now=later)
    assert not report.valid and report.details["expired"]
    assert verify(f"http://localhost/ob/v2/assertions/{assertion.public_id}", now=later).details[
        "expired"
    ]


def test_expiry_policy_days(issuer):
    badge = BadgeFactory(issuer=issuer, expiry_policy="days", expires_days=10)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assertion = operations.issue(
        badge, operations.Recipient(email="a@example.org"), now=now
    ).assertion
    assert assertion.credential["validUntil"] == "2030-01-11T00:00:00Z"


def test_batch_signed_in_worker_processes_verifies(app, client, badge, monkeypatch):
    # A batch this large is signed by worker processes (two of them here): what they sign,
    # stored and served, verifies with the independent (plain pyld) verifier like the rest.
    from app.openbadges.signing_pool import SIGNING_POOL_MIN_BATCH

    monkeypatch.setitem(app.config, "SIGNING_PROCESSES", 2)  # put back after the test
    count = SIGNING_POOL_MIN_BATCH + 3
    awards = [
        operations.Award(operations.Recipient(email=f"l{i}@example.org"), [{"narrative": "ok"}])
        for i in range(count)
    ]
    issued = operations.issue_many(badge, awards)
    assert [i.created for i in issued] == [True] * count
    assert operations.issue_many(badge, awards[:5]) and Assertion.query.count() == count
    for i in (0, count - 1):
        db.session.expire_all()  # read back what was stored, not what was handed over
        stored = db.session.get(Assertion, issued[i].assertion.id)
        for source in (
            json.dumps(stored.credential),
            stored.credential_jwt,
            f"http://localhost/ob/v3/credentials/{stored.public_id}",
        ):
            report = verify(source, email=f"l{i}@example.org")
            assert report.valid, (source[:60], report.errors)


def test_issue_many_hands_back_each_new_assertion_as_stored(badge):
    # New assertions come back as their stored facts (not loaded back); an award already
    # held comes back as the ORM assertion. Both name the very row in the database.
    awards = [
        operations.Award(operations.Recipient(email=f"s{i}@example.org", name=f"S {i}"))
        for i in range(3)
    ]
    first = operations.issue_many(badge, awards[:2])
    again = operations.issue_many(badge, awards)
    assert [i.created for i in again] == [False, False, True]
    assert [type(i.record) for i in again] == [Assertion, Assertion, StoredAssertion]
    db.session.expire_all()
    for issued in (*first, again[2]):
        record = issued.record
        row = db.session.get_one(Assertion, record.id)
        assert (
            record.public_id,
            record.badge_id,
            record.lti_user_id,
            record.recipient_key,
            record.issued_on,
            record.expires_at,
        ) == (
            row.public_id,
            row.badge_id,
            row.lti_user_id,
            row.recipient_key,
            row.issued_on,
            row.expires_at,
        )
        assert issued.assertion is row  # loaded when asked for, from the session
    assert [i.record.id for i in again[:2]] == [i.record.id for i in first]
