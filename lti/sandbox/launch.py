"""Launches: the message hint that starts one, and the id_token that ends it."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from flask import Flask
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from lti.sandbox import hints, keys
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.flavours import flavour_of
from lti.sandbox.flavours.base import LaunchContext, issuer
from lti.sandbox.models import Course, Enrollment, Platform, ResourceLink, Tool, User

HINT = "launch"
SESSKEY = "sesskey"
DL_DATA = "dl"


class Parties(NamedTuple):
    """What a message hint names, as the database holds it now."""

    tool: Tool
    user: User
    course: Course
    link: ResourceLink | None
    enrolment: Enrollment | None


# One statement for what the initiation and the authorization each look up (it was four and
# five), built once.
_PARTIES = (
    select(Tool, User, Course, ResourceLink, Enrollment)
    .select_from(Tool)
    .join(User, User.id == bindparam("u"))
    .join(Course, Course.id == bindparam("c"))
    .outerjoin(ResourceLink, ResourceLink.id == bindparam("l"))
    .outerjoin(Enrollment, and_(Enrollment.course_id == Course.id, Enrollment.user_id == User.id))
    .where(Tool.id == bindparam("t"))
)


def parties(s: Session, claims_hint: dict[str, Any]) -> Parties | None:
    """The tool, user, course, resource link (if named) and enrolment of a verified message
    hint; None if the tool, user or course no longer exists."""
    row = s.execute(
        _PARTIES,
        {
            "t": claims_hint["t"],
            "u": claims_hint["u"],
            "c": claims_hint["c"],
            "l": claims_hint.get("l"),
        },
    ).first()
    return None if row is None else Parties(*row)


def message_hint(
    platform: Platform,
    tool: Tool,
    course: Course,
    user: User,
    resource_link: ResourceLink | None = None,
    message_type: str = v.MSG_RESOURCE_LINK,
    placement: str | None = None,
    app: Flask | None = None,
    ttl: int = 600,
) -> str:
    """A signed, expiring ``lti_message_hint`` naming who launches what (like Canvas's HS256
    JWT), so the authorization step needs no cookie from inside the tool's iframe."""
    if message_type == v.MSG_RESOURCE_LINK and resource_link is None:
        raise ValueError("a resource link launch needs a resource link")
    return hints.make(
        HINT,
        {
            "p": platform.slug,
            "t": tool.id,
            "c": course.id,
            "u": user.id,
            "l": resource_link.id if resource_link else None,
            "m": message_type,
            "pl": placement,
        },
        ttl=ttl,
        app=app,
    )


def login_hint(platform: Platform, user: User) -> str:
    """What the platform sends as ``login_hint``: Moodle the user id, Canvas the 40-hex id."""
    return user.legacy_id if platform.flavour == "canvas" else user.lti_id


def login_form_fields(
    platform: Platform, tool: Tool, user: User, hint: str, target: str, base_url: str
) -> dict[str, str]:
    """Fields of the third-party initiated login the platform posts to the tool."""
    fields = {
        "iss": issuer(base_url, platform),
        "target_link_uri": target,
        "login_hint": login_hint(platform, user),
        "lti_message_hint": hint,
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    if platform.flavour == "canvas":
        fields.update(
            canvas_environment="prod",
            canvas_region="not_configured",
            lti_storage_target="post_message_forwarding",
        )
    return fields


def target_for(tool: Tool, link: ResourceLink | None, message_type: str) -> str:
    """The target_link_uri of a launch."""
    if message_type == v.MSG_DEEP_LINKING:
        return tool.deep_link_url or tool.target_link_uri
    return (link.url if link and link.url else None) or tool.target_link_uri


def build_id_token(
    s: Session,
    platform: Platform,
    claims_hint: dict[str, Any],
    nonce: str,
    base_url: str,
    app: Flask | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign the id_token of the launch a verified message hint describes."""
    found = parties(s, claims_hint)
    if found is None:
        raise LookupError("the launch names something that no longer exists")
    tool, user, course, link, enrolment = found
    if enrolment is None:
        raise PermissionError("the user is not enrolled in the course")
    message_type = claims_hint["m"]
    flavour = flavour_of(platform.flavour)
    iss = issuer(base_url, platform)
    sesskey = hints.make(
        SESSKEY, {"p": platform.slug, "c": course.id, "t": tool.id, "u": user.id}, ttl=3600, app=app
    )
    ctx = LaunchContext(
        base_url=base_url,
        platform=platform,
        tool=tool,
        course=course,
        user=user,
        role=enrolment.role,
        message_type=message_type,
        nonce=nonce,
        target_link_uri=target_for(tool, link, message_type),
        resource_link=link,
        link_line_items=ops.line_items_of_link(s, link) if link else [],
        placement=claims_hint.get("pl"),
        now=int(time.time()),
        account_roles=ops.account_roles_of(s, user),
    )
    if message_type == v.MSG_DEEP_LINKING and platform.flavour == "canvas" and not ctx.placement:
        ctx.placement = "link_selection"

    if message_type == v.MSG_DEEP_LINKING:
        ctx.deep_link_return_url = flavour.deep_link_return_url(iss, course, tool, sesskey)
        if platform.flavour == "canvas":
            ctx.deep_link_data = hints.make(
                DL_DATA,
                {
                    "p": platform.slug,
                    "c": course.id,
                    "t": tool.id,
                    "u": user.id,
                    "pl": ctx.placement or "link_selection",
                },
                ttl=3600,
                app=app,
            )
    claims = flavour.claims(ctx, sesskey)
    return keys.sign(s, platform, claims), claims
