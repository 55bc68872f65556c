"""Badges over the API (create, get, change, list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, request
from sqlalchemy import select

from app.api.auth import ApiError, check_tenant
from app.api.awards import checked_criteria
from app.api.common import body, get_owned, paged, scoped, scoped_registration
from app.api.registry import endpoint
from app.api.validation import text
from app.artwork import badge_artwork
from app.audit import Actor
from app.awards.operations import badge_saved
from app.database import as_utc
from app.designer.operations import course_issuer
from app.extensions import db
from app.models import Context
from app.openbadges import badges, documents, issuers, urls
from app.openbadges.models import Badge, Issuer

SHORT = {"type": "string", "maxLength": 300}
BADGE_FIELDS = {
    "name": text(Badge.name),
    "description": text(Badge.description),
    "criteria_narrative": text(Badge.criteria_narrative),
    "criteria": {
        "type": ["object", "null"],
        "description": "award criteria document; a column is named by its id or by a title "
        "exactly one column of the course has",
    },
    "enabled": {"type": "boolean"},
    "evidence_shows_scores": {
        "type": "boolean",
        "description": "automatic awards put the learner's scores into the public "
        "evidence (default: only which criteria were met)",
    },
    "tags": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 100}},
    "alignments": {
        "type": "array",
        "maxItems": 50,
        "items": {
            "type": "object",
            "properties": {
                "name": SHORT,
                "url": {"type": "string", "maxLength": 1000},
                "framework": SHORT,
            },
        },
    },
    "expiry_policy": {"enum": ["none", "fixed", "days"]},
    "expires_on": {"type": ["string", "null"], "format": "date-time", "maxLength": 64},
    "expires_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 36_500},
    "status": {"enum": ["draft", "active", "archived"]},
    "context_id": {"type": ["string", "null"], "maxLength": 36},
    "achievement_type": {
        "type": "string",
        "maxLength": 60,
        "description": "OB 3.0 achievementType (Badge, Certificate, Course, … or ext:Name)",
    },
    "language": {"type": "string", "maxLength": 35, "description": "BCP 47 tag (inLanguage)"},
}
BADGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "issuer_id": {"type": "string"},
        **BADGE_FIELDS,
        "image_url": {"type": "string"},
        "ob2_badgeclass_url": {"type": "string"},
        "ob3_achievement_url": {"type": "string"},
    },
}
BADGE_IN = {
    "type": "object",
    "required": ["name", "description"],
    "properties": {
        "issuer_id": {"type": "string"},
        **BADGE_FIELDS,
        "design": {"type": "object", "description": "badge design document"},
    },
}


def badge_registration(badge: Badge) -> int | None:
    """The tenant a badge belongs to (through its issuer)."""
    return badge.issuer.registration_id


def badge_json(badge: Badge) -> dict[str, Any]:
    """The API form of a badge."""
    context = db.session.get(Context, badge.context_id) if badge.context_id else None
    return {
        "id": badge.public_id,
        "issuer_id": badge.issuer.public_id,
        "name": badge.name,
        "description": badge.description,
        "criteria_narrative": badge.criteria_narrative,
        "criteria": badge.criteria,
        "enabled": badge.enabled,
        "tags": badge.tags,
        "evidence_shows_scores": badge.evidence_shows_scores,
        "alignments": badge.alignments,
        "expiry_policy": badge.expiry_policy,
        "expires_on": documents.iso(badge.expires_on) if badge.expires_on else None,
        "expires_days": badge.expires_days,
        "status": badge.status,
        "context_id": context.public_id if context else None,
        "achievement_type": badge.achievement_type,
        "language": badge.language,
        "image_url": documents.badge_image_url(badge),
        "ob2_badgeclass_url": urls.public_url(urls.BADGE_OB2, badge.public_id),
        "ob3_achievement_url": urls.public_url(urls.ACHIEVEMENT_OB3, badge.public_id),
    }


def _context_id(public_id: str | None) -> int | None:
    if not public_id:
        return None
    context = db.session.scalar(select(Context).where(Context.public_id == public_id))
    if context is None:
        raise ApiError(422, "invalid", f"no context {public_id}")
    check_tenant(context.registration_id)
    return context.id


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = {k: data[k] for k in BADGE_FIELDS if k in data}
    if "context_id" in changes:
        changes["context_id"] = _context_id(changes["context_id"])
    if changes.get("expires_on"):
        try:
            changes["expires_on"] = as_utc(
                datetime.fromisoformat(str(changes["expires_on"]).replace("Z", "+00:00"))
            )
        except ValueError:
            raise ApiError(422, "invalid", "expires_on must be an ISO 8601 date") from None
    return changes


def _issuer_for(data: dict[str, Any], context_id: int | None) -> Issuer:
    if data.get("issuer_id"):
        return get_owned(Issuer, str(data["issuer_id"]), lambda i: i.registration_id)
    # A course badge is awarded by its course's (or institution's) issuer, whoever's key asks;
    # a course's first badge creates the institution's issuer exactly as the designer does.
    if context_id is not None:
        return course_issuer(db.session.get_one(Context, context_id))
    issuer = issuers.find_issuer(scoped_registration())
    if issuer is None:
        raise ApiError(
            422, "invalid", "no issuer: pass issuer_id or context_id, or create an issuer first"
        )
    return issuer


@endpoint(
    "POST", "/badges", "Create a badge", tag="badges", request=BADGE_IN, response=BADGE, status=201
)
def create_badge() -> tuple[dict[str, Any], int]:
    data = body()
    changes = _changes(data)
    if "criteria" in changes:
        changes["criteria"] = checked_criteria(changes["criteria"], changes.get("context_id"))
    issuer = _issuer_for(data, changes.get("context_id"))
    changes.setdefault("criteria_narrative", changes.get("description", ""))
    name = changes.pop("name", "")
    artwork = badge_artwork(name, design=data.get("design"))
    badge = badges.create_badge(
        issuer,
        name,
        changes.pop("description", ""),
        changes.pop("criteria_narrative"),
        artwork=artwork,
        **changes,
    )
    badge_saved(badge, Actor.from_request(), requested_by=f"api:{g.api_key.public_id}")
    return badge_json(badge), 201


@endpoint("GET", "/badges/<public_id>", "Get a badge", tag="badges", response=BADGE)
def get_badge(public_id: str) -> dict[str, Any]:
    return badge_json(get_owned(Badge, public_id, badge_registration))


@endpoint(
    "PATCH",
    "/badges/<public_id>",
    "Change a badge",
    tag="badges",
    request={"type": "object", "properties": {**BADGE_FIELDS, "design": {"type": "object"}}},
    response=BADGE,
)
def patch_badge(public_id: str) -> dict[str, Any]:
    badge = get_owned(Badge, public_id, badge_registration)
    data = body()
    changes = _changes(data)
    if "criteria" in changes:
        changes["criteria"] = checked_criteria(
            changes["criteria"], changes.get("context_id", badge.context_id), badge.public_id
        )
    if "design" in data:
        badges.save_artwork(badge, badge_artwork(badge.name, design=data["design"]))
    badges.update_badge(badge, **changes)
    if {"criteria", "enabled", "status"} & set(changes):  # going live evaluates too
        badge_saved(badge, Actor.from_request(), requested_by=f"api:{g.api_key.public_id}")
    return badge_json(badge)


@endpoint(
    "GET",
    "/badges",
    "List badges",
    tag="badges",
    response={"type": "array", "items": BADGE},
    query=("context_id", "status", "page", "per_page"),
)
def list_badges():
    query = select(Badge).join(Issuer, Badge.issuer_id == Issuer.id).order_by(Badge.id)
    query = scoped(query, Issuer.registration_id)
    if request.args.get("context_id"):
        query = query.where(Badge.context_id == _context_id(request.args["context_id"]))
    if request.args.get("status"):
        query = query.where(Badge.status == request.args["status"])
    return paged(query, badge_json)
