"""Revoked OB 2.0 assertions answer 410; expiry dates are checked on every path; an expired
or revoked award can be awarded again as a new assertion."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.artwork import badge_artwork
from app.extensions import db
from app.openbadges import badges, operations
from app.openbadges.errors import OperationError
from app.openbadges.models import Assertion
from app.openbadges.verify import verify
from tests.factories import BadgeFactory


def test_revoked_hosted_assertion_answers_410_with_its_body(client, badge):
    assertion = operations.issue(badge, operations.Recipient(email="ana@example.org")).assertion
    url = f"/ob/v2/assertions/{assertion.public_id}"
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 200
    operations.revoke(assertion, "academic misconduct")
    gone = client.get(url, headers={"Accept": "application/ld+json"})
    assert gone.status_code == 410
    assert gone.json["revoked"] is True
    assert gone.json["revocationReason"] == "academic misconduct"
    assert gone.json["id"] == f"http://localhost{url}"
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "revoked" in page.get_data(as_text=True).lower()
    report = verify(f"http://localhost{url}")
    assert not report.valid and report.details["revoked"]
    assert any("academic misconduct" in error for error in report.errors)


def _award(badge, **kwargs):
    return operations.issue(badge, operations.Recipient(email="ana@example.org"), **kwargs)


def test_explicit_expiry_must_follow_issue_and_not_be_past(badge):
    now = datetime.now(UTC)
    with pytest.raises(OperationError) as past:
        _award(badge, expires_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert past.value.code == "expiry_in_past" and "2020-01-01" in str(past.value)
    with pytest.raises(OperationError) as before:
        _award(badge, now=now + timedelta(days=10), expires_at=now + timedelta(days=5))
    assert before.value.code == "expiry_before_issue"
    db.session.rollback()
    assert db.session.scalar(select(Assertion.id)) is None
    assert _award(badge, expires_at=now + timedelta(days=5)).created


def test_cli_and_api_refuse_a_past_expiry(client, cli, runner, badge):
    code, answer = cli(
        "badges",
        "award",
        badge.public_id,
        "--email",
        "a@example.org",
        "--name",
        "A",
        "--expires",
        "2020-01-01",
    )
    assert code == 1 and answer["error"] == "expiry_in_past"
    key = json.loads(runner.invoke(args=["api", "create-key", "--json"]).output)["key"]
    one = {"Authorization": f"Bearer {key}"}
    client.post(
        "/api/v1/issuers",
        headers=one,
        json={"name": "One U", "url": "https://one.example", "email": "b@one.example"},
    )
    api_badge = client.post(
        "/api/v1/badges",
        headers=one,
        json={"name": "Teamwork", "description": "Works in teams", "criteria_narrative": "80 %"},
    )
    award = client.post(
        f"/api/v1/badges/{api_badge.json['id']}/assertions",
        headers=one,
        json={"email": "ana@example.org", "expires": "2020-01-01T00:00:00Z"},
    )
    assert award.status_code == 422 and award.json["error"] == "expiry_in_past", award.json


def test_fixed_expiry_dates_in_the_past_are_refused(issuer):
    past = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(OperationError, match="in the past"):
        badges.create_badge(
            issuer,
            "B",
            "D",
            "C",
            expiry_policy="fixed",
            expires_on=past,
            artwork=badge_artwork("B"),
        )
    db.session.rollback()
    badge = BadgeFactory(issuer=issuer)
    with pytest.raises(OperationError, match="in the past"):
        badges.update_badge(badge, expiry_policy="fixed", expires_on=past)
    db.session.rollback()
    soon = datetime.now(UTC) + timedelta(days=3)
    badges.update_badge(badge, expiry_policy="fixed", expires_on=soon)
    # Editing something else keeps a date that passed since; awarding is refused.
    badge.expires_on = past
    db.session.commit()
    badges.update_badge(badge, name="Renamed")
    with pytest.raises(OperationError) as refused:
        _award(badge)
    assert refused.value.code == "expiry_in_past" and "fixed expiry" in str(refused.value)


def test_an_expired_award_can_be_awarded_again(badge):
    now = datetime.now(UTC).replace(microsecond=0)
    first = _award(badge, expires_at=now + timedelta(days=1)).assertion
    assert not _award(badge).created  # still valid: the same award comes back
    later = now + timedelta(days=2)
    second = _award(badge, now=later)
    assert second.created and second.assertion.public_id != first.public_id
    db.session.refresh(first)
    assert first.replaced_at is not None and first.revoked_at is None
    # The old one still answers and still verifies as what it is: expired, not revoked.
    report = verify(json.dumps(first.credential), now=later)
    assert report.details["expired"] and not report.details["revoked"]
    assert verify(json.dumps(second.assertion.credential), now=later).valid
    again = _award(badge, now=later)
    assert not again.created and again.assertion.public_id == second.assertion.public_id


def test_a_revoked_award_can_be_awarded_again(badge):
    first = _award(badge).assertion
    operations.revoke(first, "mistake")
    second = _award(badge)
    assert second.created and second.assertion.public_id != first.public_id
    assert verify(json.dumps(second.assertion.credential)).valid
