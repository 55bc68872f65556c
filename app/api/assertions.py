"""Awards over the API: issue, list, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from sqlalchemy import select

from app.api.auth import ApiError
from app.api.badges import _context_id, badge_registration
from app.api.common import body, get_owned, paged, scoped
from app.api.registry import endpoint
from app.api.validation import text
from app.audit import Actor
from app.awards import operations as awards
from app.awards.models import DecisionAction
from app.openbadges import operations
from app.openbadges.models import Assertion, Badge, Issuer
from app.openbadges.serializers import assertion_json

ASSERTION = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "badge_id": {"type": "string"},
        "recipient_email": {"type": ["string", "null"]},
        "recipient_name": {"type": "string"},
        "issued_on": {"type": "string", "format": "date-time"},
        "expires": {"type": ["string", "null"], "format": "date-time"},
        "revoked": {"type": "boolean"},
        "revocation_reason": {"type": ["string", "null"]},
        "ob2_assertion_url": {"type": "string"},
        "ob3_credential_url": {"type": "string"},
        "png_url": {"type": "string"},
        "svg_url": {"type": "string"},
        "verify_url": {"type": "string"},
    },
}
AWARD_IN = {
    "type": "object",
    "required": ["email"],
    "properties": {
        "email": text(Assertion.recipient_email, minLength=3),
        "name": text(Assertion.recipient_name),
        "evidence": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "maxLength": 1000},
                    "name": {"type": "string", "maxLength": 300},
                    "narrative": {"type": "string", "maxLength": 5000},
                },
            },
        },
        "expires": {"type": "string", "format": "date-time", "maxLength": 64},
    },
}


@endpoint(
    "POST",
    "/badges/<public_id>/assertions",
    "Award a badge (idempotent)",
    tag="assertions",
    request=AWARD_IN,
    response=ASSERTION,
    status=201,
)
def award(public_id: str) -> tuple[dict[str, Any], int]:
    badge = get_owned(Badge, public_id, badge_registration)
    data = body()
    expires = None
    if data.get("expires"):
        try:
            expires = datetime.fromisoformat(str(data["expires"]).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(422, "invalid", "expires must be an ISO 8601 date") from None
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, dict) for e in evidence):
        raise ApiError(422, "invalid", "evidence must be a list of objects")
    if not isinstance(data.get("email"), str):
        raise ApiError(422, "invalid", "email is required")
    issued = awards.award_directly(
        badge,
        operations.Recipient(email=data["email"], name=str(data.get("name") or "")),
        action=DecisionAction.API_AWARD,
        actor=Actor.from_request(),
        evidence=evidence,
        expires_at=expires,
    )
    return assertion_json(issued.assertion), 201 if issued.created else 200


@endpoint(
    "GET",
    "/assertions",
    "List awards",
    tag="assertions",
    response={"type": "array", "items": ASSERTION},
    query=("badge_id", "context_id", "page", "per_page"),
)
def list_assertions():
    query = (
        select(Assertion)
        .join(Badge, Assertion.badge_id == Badge.id)
        .join(Issuer, Badge.issuer_id == Issuer.id)
        .order_by(Assertion.id)
    )
    query = scoped(query, Issuer.registration_id)
    if request.args.get("badge_id"):
        query = query.where(Badge.public_id == request.args["badge_id"])
    if request.args.get("context_id"):
        query = query.where(Badge.context_id == _context_id(request.args["context_id"]))
    return paged(query, assertion_json)


@endpoint("GET", "/assertions/<public_id>", "Get an award", tag="assertions", response=ASSERTION)
def get_assertion(public_id: str) -> dict[str, Any]:
    return assertion_json(get_owned(Assertion, public_id, lambda a: badge_registration(a.badge)))


@endpoint(
    "POST",
    "/assertions/<public_id>/revoke",
    "Revoke an award",
    tag="assertions",
    request={
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": text(Assertion.revocation_reason, maxLength=2000)},
    },
    response=ASSERTION,
)
def revoke(public_id: str) -> dict[str, Any]:
    assertion = get_owned(Assertion, public_id, lambda a: badge_registration(a.badge))
    awards.revoke(assertion, str(body().get("reason") or ""), actor=Actor.from_request())
    return assertion_json(assertion)
