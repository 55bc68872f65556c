"""The console's dead list: a webhook delivery that ran out of attempts is listed with its
error, and Retry (with the console's CSRF token) delivers it."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import SYSTEM, Actor
from app.awards.operations import award_manually
from app.extensions import db
from app.webhooks import operations
from app.webhooks.models import DeliveryState, WebhookDelivery
from tests.support.admin import csrf_of
from tests.support.live import serve
from tests.webhooks.test_delivery import SECRET, Receiver, course  # noqa: F401  (fixture)


def test_a_dead_delivery_is_listed_and_retried_from_the_console(app, admin, course):
    context, _teacher, learner, badge = course
    receiver = Receiver(failures=1)
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    try:
        with serve(receiver.app, "127.0.0.1") as base:
            operations.create_subscription(
                context.registration_id, f"{base}/hook", ["badge.issued"], SECRET, actor=SYSTEM
            )
            award_manually(badge, learner, Actor("lti_user", "tess"), "finished the project")
            delivery = db.session.scalar(select(WebhookDelivery))
            assert delivery.state == DeliveryState.DEAD  # its one attempt got a 500

            page = admin.get("/admin/dead-items/")
            assert page.status_code == 200
            assert f'data-testid="dead-webhook-{delivery.id}"' in page.text
            assert "HTTP 500" in page.text and "badge.issued event to" in page.text

            url = f"/admin/dead-items/webhook/{delivery.id}/retry"
            assert admin.post(url).status_code in (400, 403)  # no CSRF token: refused
            db.session.expire_all()
            assert db.session.get(WebhookDelivery, delivery.id).state == DeliveryState.DEAD

            done = admin.post(url, data={"csrf_token": csrf_of(page.text)})
            assert done.status_code == 302
            db.session.expire_all()
            row = db.session.get(WebhookDelivery, delivery.id)
            assert row.state == DeliveryState.DELIVERED and row.attempts == 1
            assert len(receiver.received) == 2
    finally:
        app.config.pop("WEBHOOK_MAX_ATTEMPTS")

    after = admin.get("/admin/dead-items/")
    assert "Retrying webhook" in after.text and "Nothing failed for good" in after.text
    again = admin.post(url, data={"csrf_token": csrf_of(after.text)})
    assert "not on the dead list" in admin.get(again.headers["Location"]).text


def test_the_dead_list_needs_a_signed_in_admin(client):
    response = client.get("/admin/dead-items/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
