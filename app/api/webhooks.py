"""Webhook subscriptions over the API: subscribe a URL of a registration, list, pause."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from app.api.auth import ApiError
from app.api.common import body, get_owned, query_arg, scoped_registration
from app.api.registry import endpoint
from app.api.validation import text
from app.audit import Actor
from app.extensions import db
from app.models import Registration
from app.openbadges import documents
from app.webhooks import operations
from app.webhooks.models import EventType, WebhookSubscription

SUBSCRIPTION = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "registration_id": {"type": "string"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string", "enum": list(EventType.ALL)}},
        "active": {"type": "boolean"},
        "created": {"type": "string", "format": "date-time"},
        "secret": {"type": "string", "description": "returned once, when the subscription is made"},
    },
}
SUBSCRIBE_IN = {
    "type": "object",
    "required": ["url", "events"],
    "properties": {
        "url": text(WebhookSubscription.url),
        "events": {"type": "array", "items": {"type": "string", "enum": list(EventType.ALL)}},
        "secret": {
            "type": "string",
            "minLength": operations.MIN_SECRET_LENGTH,
            "maxLength": 500,
            "description": "HMAC key of Badgebridge-Signature; generated when absent",
        },
        "registration_id": {"type": "string", "maxLength": 36, "description": "admin keys only"},
    },
}


def subscription_json(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "registration_id": row.registration.public_id,
        "url": row.url,
        "events": row.events,
        "active": row.active,
        "created": documents.iso(row.created_at),
    }


def _target_registration(data: dict[str, Any]) -> int:
    key = g.api_key
    if not key.is_admin:
        return key.registration_id
    public_id = data.get("registration_id")
    registration = (
        db.session.scalar(select(Registration).where(Registration.public_id == str(public_id)))
        if public_id
        else None
    )
    if registration is None:
        raise ApiError(422, "invalid", "an admin key must name the registration_id")
    return registration.id


@endpoint(
    "POST",
    "/webhooks",
    "Subscribe a URL to badge events",
    tag="webhooks",
    request=SUBSCRIBE_IN,
    response=SUBSCRIPTION,
    status=201,
)
def create_webhook() -> tuple[dict[str, Any], int]:
    data = body()
    registration_id = _target_registration(data)
    secret = data.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ApiError(422, "invalid", "secret must be a string")
    try:
        row, secret = operations.create_subscription(
            registration_id,
            data.get("url") or "",
            data.get("events"),
            secret,
            actor=Actor.from_request(),
        )
    except operations.WebhookError as exc:
        raise ApiError(422, exc.code, str(exc)) from None
    return {**subscription_json(row), "secret": secret}, 201


@endpoint(
    "GET",
    "/webhooks",
    "List webhook subscriptions",
    tag="webhooks",
    response={"type": "array", "items": SUBSCRIPTION},
)
def list_webhooks() -> list[dict[str, Any]]:
    return [subscription_json(r) for r in operations.subscriptions(scoped_registration())]


@endpoint(
    "GET",
    "/webhooks/<public_id>",
    "A webhook subscription and its latest deliveries",
    tag="webhooks",
    response=SUBSCRIPTION,
    query=("limit",),
)
def get_webhook(public_id: str) -> dict[str, Any]:
    row = get_owned(WebhookSubscription, public_id, lambda r: r.registration_id)
    log = operations.deliveries(None, limit=query_arg("limit", 50), subscription_ids=[row.id])
    return {
        **subscription_json(row),
        "deliveries": [
            {
                "id": d.public_id,
                "event_id": d.event.public_id,
                "type": d.event.type,
                "state": d.state,
                "attempts": d.attempts,
                "last_status": d.last_status,
                "delivered_at": documents.iso(d.delivered_at) if d.delivered_at else None,
            }
            for d in log
        ],
    }


@endpoint(
    "DELETE",
    "/webhooks/<public_id>",
    "Stop a webhook subscription (paused, log kept)",
    tag="webhooks",
    response=SUBSCRIPTION,
)
def delete_webhook(public_id: str) -> dict[str, Any]:
    row = get_owned(WebhookSubscription, public_id, lambda r: r.registration_id)
    operations.set_active(row, False, Actor.from_request())
    return subscription_json(row)
