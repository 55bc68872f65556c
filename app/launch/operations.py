"""What a validated launch leaves behind: the course, the person, their role, and the launch
session the following pages carry."""

from __future__ import annotations

from typing import Any

from app.course.operations import LaunchFacts, PersonFacts, lms_course_id, record_launch
from app.i18n import launch_locale
from app.launch_session import LaunchSession
from lti.launch import CLAIM, ToolMessageLaunch

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def platform_name(claim: dict[str, Any] | None) -> str:
    """The institution's name in a launch's ``tool_platform`` claim. Moodle puts its site's
    short name in ``name`` and the full one in ``description``; others (Canvas: the root
    account) put the institution's name in ``name``."""
    claim = claim if isinstance(claim, dict) else {}
    name = str(claim.get("name") or "")
    if claim.get("product_family_code") == "moodle":
        name = str(claim.get("description") or "") or name
    return " ".join(name.split())[:200]


def record(message: ToolMessageLaunch) -> LaunchSession:
    """Store the course, the person and their role from a validated launch; return the
    launch session."""
    body: dict[str, Any] = message.jwt_body
    conf = message.get_tool_conf()
    client_id = message.get_client_id()
    deployment = conf.deployment_row(body["iss"], body[CLAIM + "deployment_id"], client_id)
    registration = conf.registration_row(body["iss"], client_id)
    # validate_registration and validate_deployment found both a moment ago
    assert deployment is not None and registration is not None
    context = body.get(CLAIM + "context") or {}
    locale = launch_locale(body)
    recorded = record_launch(
        LaunchFacts(
            registration_id=deployment.registration_id,
            deployment_id=deployment.id,
            person=PersonFacts(
                issuer=body["iss"],
                sub=str(body["sub"]),
                name=body.get("name") or "",
                given_name=body.get("given_name") or "",
                family_name=body.get("family_name") or "",
                email=body.get("email") or None,
                locale=locale,
            ),
            lti_context_id=str(context["id"]),
            context_title=context.get("title") or "",
            context_label=context.get("label") or "",
            roles=list(body.get(CLAIM + "roles") or []),
            institution_admins_are_staff=registration.institution_admins_are_staff,
            ags_endpoint=body.get(AGS_CLAIM),
            nrps_endpoint=body.get(NRPS_CLAIM),
            product_family=str(
                (body.get(CLAIM + "tool_platform") or {}).get("product_family_code") or ""
            ),
            platform_name=platform_name(body.get(CLAIM + "tool_platform")),
            lms_course_id=lms_course_id(body.get(CLAIM + "custom")),
        )
    )
    return LaunchSession(
        registration_id=deployment.registration_id,
        deployment_id=deployment.id,
        context_id=recorded.context_id,
        user_id=recorded.user_id,
        is_staff=recorded.is_staff,
        launch_id=message.get_launch_id(),
        deep_linking=message.is_deep_link_launch(),
        locale=locale,
    )
