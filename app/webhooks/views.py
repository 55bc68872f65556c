"""The console's webhook pages: subscriptions of a registration, the delivery log, replay."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import secret_box
from app.admin import auth as admin_auth
from app.audit import Actor
from app.extensions import db
from app.webhooks import operations, tasks
from app.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookSubscription

bp = admin_auth.console_blueprint("admin_webhooks", "/admin/webhooks")
CREATED_SECRET = "webhook_secret"  # console-cookie key of a new subscription's secret


@bp.get("/")
@admin_auth.admin_required
def index():
    return redirect(url_for("admin_analytics.index"))


@bp.route("/<public_id>", methods=["GET", "POST"])
@admin_auth.admin_required
def registration_webhooks(public_id: str):
    """The subscriptions, the form to add one and the delivery log. A subscription added
    redirects back here (a reload sends nothing twice); its secret rides, encrypted, in the
    console cookie to that one page view and is shown once."""
    registration = admin_auth.console_registration(public_id)
    error, created_secret = None, None
    if request.method == "POST":
        try:
            row, secret = operations.create_subscription(
                registration.id,
                request.form.get("url", ""),
                request.form.getlist("events"),
                request.form.get("secret") or None,
                actor=Actor.from_request(),
            )
        except operations.WebhookError as exc:
            error = str(exc)
        else:
            admin_auth.flash(_("Subscription added: %(url)s.", url=row.url))
            g.admin_session[CREATED_SECRET] = secret_box.encrypt(secret.encode("utf-8"))
            return redirect(url_for(".registration_webhooks", public_id=public_id), 303)
    elif CREATED_SECRET in g.admin_session:
        g.admin_session_changed = True
        created_secret = secret_box.decrypt(g.admin_session.pop(CREATED_SECRET)).decode("utf-8")
    subscriptions = operations.subscriptions(registration.id)
    log = operations.deliveries(registration.id, limit=100)
    attempts: dict[int, list[WebhookAttempt]] = {}
    if log:
        for attempt in db.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d in log]))
            .order_by(WebhookAttempt.id)
        ):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return render_template(
        "admin/webhooks.html",
        registration=registration,
        subscriptions=subscriptions,
        deliveries=log,
        attempts=attempts,
        event_types=EventType.ALL,
        error=error,
        created_secret=created_secret,
        form=request.form if error else None,
        notice=admin_auth.take_notice(),
    ), 422 if error else 200


def _subscription(public_id: str, sub_id: str) -> WebhookSubscription:
    registration = admin_auth.console_registration(public_id)
    row = db.session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.public_id == sub_id,
            WebhookSubscription.registration_id == registration.id,
        )
    )
    if row is None:
        abort(404)
    return row


@bp.post("/<public_id>/subscriptions/<sub_id>/active")
@admin_auth.admin_required
def set_active(public_id: str, sub_id: str):
    row = _subscription(public_id, sub_id)
    active = request.form.get("active") == "1"
    operations.set_active(row, active, Actor.from_request())
    admin_auth.flash(
        _("%(url)s is now %(paused)s.", url=row.url, paused="active" if active else "paused")
    )
    return redirect(url_for(".registration_webhooks", public_id=public_id))


@bp.post("/<public_id>/deliveries/<delivery_id>/replay")
@admin_auth.admin_required
def replay(public_id: str, delivery_id: str):
    registration = admin_auth.console_registration(public_id)
    delivery = db.session.scalar(
        select(WebhookDelivery)
        .join(WebhookSubscription)
        .where(
            WebhookDelivery.public_id == delivery_id,
            WebhookSubscription.registration_id == registration.id,
        )
    )
    if delivery is None:
        abort(404)
    try:
        operations.replay(delivery)
    except operations.WebhookError as exc:
        admin_auth.flash(str(exc))
    else:
        tasks.enqueue([delivery.id], replay=True)
        db.session.refresh(delivery)
        admin_auth.flash(
            _(
                "Event %(public_id)s sent again to %(url)s (now %(state)s).",
                public_id=delivery.event.public_id,
                url=delivery.subscription.url,
                state=delivery.state,
            )
        )
    return redirect(url_for(".registration_webhooks", public_id=public_id))
