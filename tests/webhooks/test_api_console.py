"""Subscribing over the API and in the admin console; the log and replay in the console."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.audit import Actor
from app.awards.operations import award_manually
from app.extensions import db
from app.webhooks.models import WebhookAttempt, WebhookSubscription
from tests.factories import BadgeFactory, CourseFactory, PersonFactory
from tests.support.admin import csrf_of
from tests.support.live import serve
from tests.webhooks.test_delivery import Receiver


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_api_subscribe_validates_and_is_tenant_scoped(app, client):
    from app.api.auth import create_key

    ours, theirs = CourseFactory(), CourseFactory()
    _key, secret = create_key(ours.registration_id)
    _other, other_secret = create_key(theirs.registration_id)
    response = client.post(
        "/api/v1/webhooks",
        headers=_bearer(secret),
        json={
            "url": "https://crm.example.com/badges",
            "events": ["badge.issued", "badge.revoked"],
            "secret": "a-long-enough-secret",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json
    assert created["secret"] == "a-long-enough-secret"
    assert created["events"] == ["badge.issued", "badge.revoked"]
    generated = client.post(
        "/api/v1/webhooks",
        headers=_bearer(secret),
        json={"url": "http://hr.example.com/in", "events": ["badge.expired"]},
    ).json
    assert generated["secret"].startswith("whsec_") and len(generated["secret"]) > 30

    for bad in (
        {"url": "ftp://x.example.com/", "events": ["badge.issued"]},
        {"url": "javascript:alert(1)", "events": ["badge.issued"]},
        {"url": "https://u:p@x.example.com/", "events": ["badge.issued"]},
        {"url": "https://x.example.com/", "events": ["badge.deleted"]},
        {"url": "https://x.example.com/", "events": []},
        {"url": "https://x.example.com/", "events": ["badge.issued"], "secret": "short"},
    ):
        assert (
            client.post("/api/v1/webhooks", headers=_bearer(secret), json=bad).status_code == 422
        ), bad

    listed = client.get("/api/v1/webhooks", headers=_bearer(secret)).json
    assert {s["id"] for s in listed} == {created["id"], generated["id"]}
    assert all("secret" not in s for s in listed)
    assert client.get("/api/v1/webhooks", headers=_bearer(other_secret)).json == []
    assert (
        client.get(f"/api/v1/webhooks/{created['id']}", headers=_bearer(other_secret)).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=_bearer(secret)).json["active"]
        is False
    )
    assert "/webhooks" in json.dumps(client.get("/api/v1/openapi.json").json["paths"])


def test_console_subscribes_shows_the_log_and_replays(app, admin):
    context = CourseFactory()
    learner = PersonFactory(course=context, name="Lee Learner", email="lee@example.edu")
    badge = BadgeFactory(context=context, name="Foundations")
    registration = context.registration
    receiver = Receiver(failures=0)
    page_url = f"/admin/webhooks/{registration.public_id}"
    with serve(receiver.app, "127.0.0.1") as base:
        page = admin.get(page_url)
        assert page.status_code == 200
        form = {
            "csrf_token": csrf_of(page.text),
            "url": f"{base}/hook",
            "events": ["badge.issued"],
            "secret": "",
        }
        response = admin.post(page_url, data=form)
        assert response.status_code == 303 and response.location.endswith(page_url)
        shown = admin.get(page_url)  # the secret, shown once after the redirect
        assert 'data-testid="webhook-secret"' in shown.text and "whsec_" in shown.text
        assert "whsec_" not in admin.get(page_url).text
        # The same form sent again (a reload, a double click) adds nothing.
        again = admin.post(page_url, data=form)
        assert again.status_code == 422 and "is already subscribed to these events" in again.text
        assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 1
        award_manually(badge, learner, Actor("lti_user", "tess"), "project")
        page = admin.get(page_url)
        assert "delivered" in page.text and "200" in page.text
        delivery_id = page.text.split('data-delivery="')[1].split('"')[0]
        response = admin.post(
            f"{page_url}/deliveries/{delivery_id}/replay", data={"csrf_token": csrf_of(page.text)}
        )
        assert response.status_code == 302
    assert len(receiver.received) == 2
    ids = {json.loads(body)["id"] for body, _h in receiver.received}
    assert len(ids) == 1, "a replay sends the same event id"
    assert list(db.session.scalars(select(WebhookAttempt.replay).order_by(WebhookAttempt.id))) == [
        False,
        True,
    ]
    # Without the console session, nothing.
    anonymous = app.test_client()
    assert anonymous.get(page_url).status_code == 302


def test_an_award_over_the_api_is_announced_and_audited(app, client):
    from app.api.auth import create_key
    from app.audit.models import AuditRecord

    context = CourseFactory()
    badge = BadgeFactory(context=context, name="Foundations")
    _key, secret = create_key(context.registration_id)
    _admin, admin_secret = create_key(None)  # the helper's issuer belongs to no registration
    receiver = Receiver(failures=0)
    with serve(receiver.app, "127.0.0.1") as base:
        client.post(
            "/api/v1/webhooks",
            headers=_bearer(secret),
            json={"url": f"{base}/hook", "events": ["badge.issued"]},
        )
        for _ in range(2):  # the second call returns the same award: nothing new
            response = client.post(
                f"/api/v1/badges/{badge.public_id}/assertions",
                headers=_bearer(admin_secret),
                json={"email": "x@example.org"},
            )
            assert response.status_code in (200, 201)
    assert [json.loads(b)["type"] for b, _h in receiver.received] == ["badge.issued"]
    actions = list(db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
    assert actions == ["webhook.subscribed", "award.api"]
