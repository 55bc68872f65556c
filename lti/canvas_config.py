"""What the tool asks of Canvas: the developer key JSON and the Canvas parts of registration.

Field names follow Canvas's own documentation (``doc/api/lti_dev_key_config.md`` for the
developer key JSON, ``doc/api/registration.md`` for dynamic registration). The placements and
custom fields are defined once here, so both ways of registering with Canvas ask for the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

# AGS to read (and create) grade columns and results, NRPS for the roster. The tool never
# pushes grades, but `score` lets a later feature post a completion mark; asking now spares
# admins a re-registration.
TOOL_SCOPES: tuple[str, ...] = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
)

TOOL_TITLE = "Badgebridge"
TOOL_DESCRIPTION = (
    "Award 1EdTech Open Badges (2.0 and 3.0) automatically when learners' grades meet the "
    "criteria an instructor sets."
)
TOOL_ID = "badgebridge"
CANVAS_PLATFORM = "canvas.instructure.com"
# Badges carry the learner's name and are sent to their email: both must reach the tool.
PRIVACY_LEVEL = "public"

# Canvas variable substitutions, sent on every launch (kept apart from the LTI claims so a
# later Canvas REST connector can find the course and person).
CUSTOM_FIELDS: dict[str, str] = {
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_id": "$Canvas.user.id",
    "canvas_account_id": "$Canvas.account.id",
    "canvas_api_domain": "$Canvas.api.domain",
}


@dataclass(frozen=True)
class Placement:
    """One place in Canvas's UI where the tool appears, and the message it launches."""

    placement: str
    message_type: str
    text: str


PLACEMENTS: tuple[Placement, ...] = (
    Placement("course_navigation", "LtiResourceLinkRequest", "Badges"),
    Placement("link_selection", "LtiDeepLinkingRequest", "Badgebridge badges"),
    Placement("assignment_selection", "LtiDeepLinkingRequest", "Badgebridge badges"),
)


def domain_of(url: str) -> str:
    """The host (with its port, if any) of a URL: what LTI calls the tool's domain."""
    return urlsplit(url).netloc


def developer_key(
    *, login_url: str, launch_url: str, jwks_url: str, icon_url: str
) -> dict[str, Any]:
    """Canvas's LTI 1.3 developer key configuration for this tool (the JSON URL's body)."""
    return {
        "title": TOOL_TITLE,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": login_url,
        "target_link_uri": launch_url,
        "public_jwk_url": jwks_url,  # a URL rather than a key: key rotation needs no admin
        "scopes": list(TOOL_SCOPES),
        "extensions": [
            {
                "domain": domain_of(launch_url),
                "tool_id": TOOL_ID,
                "platform": CANVAS_PLATFORM,
                "privacy_level": PRIVACY_LEVEL,
                "settings": {
                    "text": TOOL_TITLE,
                    "icon_url": icon_url,
                    "placements": [
                        {
                            "placement": p.placement,
                            "message_type": p.message_type,
                            "text": p.text,
                            "icon_url": icon_url,
                            "target_link_uri": launch_url,
                        }
                        for p in PLACEMENTS
                    ],
                },
            }
        ],
        "custom_fields": dict(CUSTOM_FIELDS),
    }


def placements_for(message_type: str, supported: list[str] | None) -> list[str]:
    """Our Canvas placements for a message type, narrowed to those the platform lists.

    Canvas's openid configuration lists the placements it offers per message type. When it
    lists none of ours we still ask for ours (Canvas's admin review narrows them): dropping
    the message would leave the tool with no way to launch.
    """
    ours = [p.placement for p in PLACEMENTS if p.message_type == message_type]
    offered = [name for name in ours if name in (supported or [])]
    return offered or ours
