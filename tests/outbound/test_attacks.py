"""The security review's outbound attacks, replayed through the public interfaces: dynamic
registration, webhook delivery and the AGS/NRPS jobs the tenant reads over the API."""

from __future__ import annotations

import pytest
from flask import Flask, Response, request
from sqlalchemy import select

from app.audit import SYSTEM, Actor
from app.awards.operations import award_manually
from app.extensions import db
from app.webhooks import operations
from app.webhooks.models import WebhookAttempt
from tests.factories import BadgeFactory, CourseFactory, PersonFactory
from tests.grades.test_platform_faults import faulty  # noqa: F401
from tests.registration.conftest import closed_port_url, platform, register_url  # noqa: F401
from tests.support.live import serve

SECRET = "test-webhook-secret-0123456789"
METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
]


def _production(app, monkeypatch) -> None:
    """Private networks refused, as a real deployment runs."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE_NETWORKS", False)


# Dynamic registration.
def test_registration_cannot_post_to_a_metadata_service(client, platform, connections):
    behaviour, config_url = platform(
        "moodle", registration_endpoint="http://169.254.169.254/latest/api/token"
    )
    response = client.get(register_url(config_url))
    assert response.status_code == 502
    assert "<code>address_refused</code>" in response.text
    assert not [host for host, _ in connections if host.startswith("169.254")]
    assert [r["method"] for r in behaviour.received] == ["GET"]


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_registration_never_reads_a_metadata_service(client, url, connections):
    response = client.get(register_url(url))
    assert response.status_code == 400
    assert "<code>address_refused</code>" in response.text
    assert not [host for host, _ in connections if "254" in host or host.startswith("100.")]


def test_registration_does_not_reach_loopback_when_private_networks_are_off(
    app,
    client,
    platform,
    monkeypatch,
):
    _production(app, monkeypatch)
    behaviour, config_url = platform("moodle")
    response = client.get(register_url(config_url))
    assert response.status_code == 400 and "<code>address_refused</code>" in response.text
    assert behaviour.received == []


def test_register_is_rate_limited(app, client):
    url = register_url(closed_port_url())
    statuses = [client.get(url).status_code for _ in range(11)]
    assert statuses[:10] == [502] * 10
    assert statuses[10] == 429
    page = client.get(url)
    assert page.status_code == 429 and "<code>rate_limited</code>" in page.text


# Webhooks.
@pytest.fixture
def award(app):
    """Award a badge in a fresh course once the caller has subscribed ``url``."""
    context = CourseFactory()
    learner = PersonFactory(course=context, name="Lee Learner", email="lee@example.edu")
    badge = BadgeFactory(context=context, name="Foundations")

    def run(url: str) -> WebhookAttempt:
        operations.create_subscription(
            context.registration_id, url, ["badge.issued"], SECRET, actor=SYSTEM
        )
        award_manually(badge, learner, Actor("lti_user", "tess"), "project")
        return db.session.scalars(select(WebhookAttempt)).one()

    return run


class Receiver:
    def __init__(self, status: int = 200, body: str = "ok") -> None:
        self.received: list[str] = []
        self.app = Flask("receiver")

        @self.app.post("/hook")
        def hook():
            self.received.append(request.headers.get("Host", ""))
            return Response(body, status, content_type="text/html")


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_webhooks_never_reach_a_metadata_service(award, url, connections):
    attempt = award(url)
    assert attempt.status_code is None and attempt.error.startswith("refused")
    assert not [host for host, _ in connections if "254" in host or host.startswith("100.")]


def test_webhooks_to_private_networks_are_refused_by_default(app, award, monkeypatch):
    _production(app, monkeypatch)
    receiver = Receiver()
    with serve(receiver.app, "127.0.0.1") as base:
        attempt = award(f"{base}/hook")
    assert receiver.received == []
    assert attempt.error.startswith("refused") and "127.0.0.1" in attempt.error


def test_webhooks_resist_dns_rebinding(app, award, monkeypatch, fake_dns, connections):
    # The check sees a public address; a second lookup would give loopback, where an
    # internal service listens. The tool resolves once and connects where it checked.
    _production(app, monkeypatch)
    receiver = Receiver()
    with serve(receiver.app, "127.0.0.1") as base:
        port = base.rsplit(":", 1)[1]
        lookups = fake_dns("hooks.rebind.test", ["203.0.114.7", "127.0.0.1"])
        attempt = award(f"http://hooks.rebind.test:{port}/hook")
    assert receiver.received == []
    assert lookups == ["hooks.rebind.test"]
    assert attempt.status_code is None and attempt.error


def test_a_receivers_error_body_is_not_stored(award):
    receiver = Receiver(500, "<h1>Internal</h1> db_password=hunter2")
    with serve(receiver.app, "127.0.0.1") as base:
        attempt = award(f"{base}/hook")
    assert attempt.status_code == 500
    assert attempt.error == "HTTP 500 (text/html)"


# AGS/NRPS: what a failing platform answered never reaches the tenant.
def test_a_platform_error_body_never_reaches_the_jobs_api(app, faulty):
    from app.api.auth import create_key
    from app.grades import jobs
    from app.grades.models import Job
    from tests.factories import SyncJobFactory

    course, proxy = faulty
    app.config["JOB_MAX_ATTEMPTS"] = 1
    try:
        proxy.faults = ["500"] * 5  # the proxy answers "boom"
        job = SyncJobFactory(context=course.context)
        jobs.run(job.id)
    finally:
        app.config.pop("JOB_MAX_ATTEMPTS")
    _key, secret = create_key(course.context.registration_id)
    shown = (
        app.test_client()
        .get(
            f"/api/v1/jobs/{db.session.get(Job, job.id).public_id}",
            headers={"Authorization": f"Bearer {secret}"},
        )
        .get_json()
    )
    assert shown["state"] == "dead"
    assert "HTTP 500" in shown["last_error"]
    assert "boom" not in shown["last_error"]
