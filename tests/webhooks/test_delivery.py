"""Outbound webhooks end to end: a live receiver, signatures, retries, dedup, replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask, request
from sqlalchemy import func, select

from app.audit import SYSTEM, Actor
from app.awards.operations import accept, award_manually, revoke
from app.extensions import db
from app.models.base import utcnow
from app.webhooks import operations, tasks
from app.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, PersonFactory
from tests.support.live import serve

SECRET = "test-webhook-secret-0123456789"


class Receiver:
    """A receiver that answers 500 to the first ``failures`` requests, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])

    def hook(self):
        with self.lock:
            self.received.append((request.get_data(), dict(request.headers)))
            n = len(self.received)
        return ("nope", 500) if n <= self.failures else ("ok", 200)


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """The README's receiver check, written out independently of app.webhooks.signing."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    if abs(time.time() - int(fields["t"])) > 300:
        return False
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def course(app):
    context = CourseFactory()
    teacher = PersonFactory(
        course=context, name="Tess Teacher", email="tess@example.edu", staff=True
    )
    learner = PersonFactory(course=context, name="Lee Learner", email="lee@example.edu")
    badge = BadgeFactory(context=context, name="Foundations")
    return context, teacher, learner, badge


def test_receiver_failing_three_times_gets_exactly_one_delivery(app, course):
    context, _teacher, learner, badge = course
    receiver = Receiver(failures=3)
    with serve(receiver.app, "127.0.0.1") as base:
        subscription, _ = operations.create_subscription(
            context.registration_id,
            f"{base}/hook",
            ["badge.issued", "badge.revoked"],
            SECRET,
            actor=SYSTEM,
        )
        assertion = award_manually(
            badge, learner, Actor("lti_user", "tess"), "finished the project"
        )

        # The first attempt ran at once (immediate queue) and failed; the retry waits.
        delivery = db.session.scalar(select(WebhookDelivery))
        assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
        waits = [delivery.next_attempt_at]
        later = utcnow()
        for _ in range(3):
            later += timedelta(hours=7)  # past any back-off (capped at 6 h)
            assert tasks.run_due(later) == 1
            db.session.refresh(delivery)
            waits.append(delivery.next_attempt_at)
        assert tasks.run_due(later + timedelta(days=1)) == 0

        # The same trigger again (a replayed award, a second dispatch) adds nothing.
        award_manually(badge, learner, Actor("lti_user", "tess"), "again")
        operations.fan_out("badge.issued", assertion.public_id)

    assert len(receiver.received) == 4
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    db.session.refresh(delivery)
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 4
    codes = list(db.session.scalars(select(WebhookAttempt.status_code).order_by(WebhookAttempt.id)))
    assert codes == [500, 500, 500, 200]
    assert all(w is not None for w in waits[:3])

    bodies = {body for body, _headers in receiver.received}
    assert len(bodies) == 1, "every attempt carries the same body"
    body, headers = receiver.received[-1]
    event = json.loads(body)
    assert event["type"] == "badge.issued"
    assert event["id"] == headers["Badgebridge-Event-Id"]
    assert event["data"]["assertion"]["id"] == assertion.public_id
    assert event["data"]["context"]["id"] == context.public_id
    for raw, sent in receiver.received:
        assert verify_signature(SECRET, raw, sent["Badgebridge-Signature"])
        assert not verify_signature("another-secret-entirely", raw, sent["Badgebridge-Signature"])
    assert subscription.active


def test_revocation_and_acceptance_are_announced(app, course):
    context, _teacher, learner, badge = course
    receiver = Receiver(failures=0)
    with serve(receiver.app, "127.0.0.1") as base:
        operations.create_subscription(
            context.registration_id,
            f"{base}/hook",
            ["badge.accepted", "badge.revoked"],
            SECRET,
            actor=SYSTEM,
        )
        assertion = award_manually(badge, learner, Actor("lti_user", "tess"), "project")
        accept(assertion)
        accept(assertion)  # only the first acceptance counts
        revoke(assertion, "plagiarism", actor=Actor("lti_user", "tess"))
    types = [json.loads(body)["type"] for body, _h in receiver.received]
    assert types == ["badge.accepted", "badge.revoked"]  # not issued: not subscribed
    revoked = json.loads(receiver.received[1][0])
    assert revoked["data"]["assertion"]["revoked"] is True


def test_expired_badges_are_announced_once(app, course):
    context, _teacher, learner, badge = course
    receiver = Receiver(failures=0)
    with serve(receiver.app, "127.0.0.1") as base:
        operations.create_subscription(
            context.registration_id, f"{base}/hook", ["badge.expired"], SECRET, actor=SYSTEM
        )
        issued = AwardFactory(badge=badge, user=learner, expires_at=utcnow() + timedelta(hours=1))
        assert tasks.announce_expired() == 0
        later = utcnow() + timedelta(hours=2)
        assert tasks.announce_expired(later) == 1
        assert tasks.announce_expired(later) == 0
    assert [json.loads(b)["type"] for b, _h in receiver.received] == ["badge.expired"]
    assert json.loads(receiver.received[0][0])["data"]["assertion"]["id"] == issued.public_id


def test_back_off_doubles_with_jitter_up_to_a_cap(app):
    backoff = WebhookDelivery.policy.delay
    assert [8 <= backoff(1) <= 12, 16 <= backoff(2) <= 24, 64 <= backoff(4) <= 96] == [True] * 3
    assert backoff(30) <= 6 * 3600 * 1.2


def test_a_dead_receiver_ends_dead_and_times_out(app, course):
    context, _teacher, learner, badge = course
    app.config.update(WEBHOOK_MAX_ATTEMPTS=2, WEBHOOK_TIMEOUT_SECONDS=0.5)
    hang = threading.Event()
    slow = Flask("slow")
    slow.add_url_rule("/hook", "hook", lambda: (hang.wait(3), "late")[1], methods=["POST"])
    try:
        with serve(slow, "127.0.0.1") as base:
            operations.create_subscription(
                context.registration_id, f"{base}/hook", ["badge.issued"], SECRET, actor=SYSTEM
            )
            award_manually(badge, learner, Actor("lti_user", "tess"), "project")
            tasks.run_due(utcnow() + timedelta(hours=7))
            hang.set()
    finally:
        app.config.update(WEBHOOK_MAX_ATTEMPTS=None, WEBHOOK_TIMEOUT_SECONDS=None)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.state == DeliveryState.DEAD and delivery.attempts == 2
    assert delivery.last_status is None and "Timeout" in delivery.last_error
