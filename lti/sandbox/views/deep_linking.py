"""Deep linking return: verify the tool's LtiDeepLinkingResponse and place what it chose."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import jwt
from flask import g, render_template, request

from lti.sandbox import hints, keys
from lti.sandbox import launch as launches
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.db import session
from lti.sandbox.models import Course, ResourceLink, Tool
from lti.sandbox.views.common import bp, iss, only
from lti.sandbox.views.oauth import LEEWAY, tool_key_sets


class DeepLinkError(Exception):
    """A response the platform refuses, with a message for the teacher."""


def _verify(token: str, expected: dict[str, Any]) -> tuple[Tool, Course, dict[str, Any]]:
    """Check signature and claims; ``expected`` is the verified platform-side state (course,
    tool) from the sesskey (Moodle) or is filled from ``data`` (Canvas)."""
    s = session()
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise DeepLinkError(f"The response is not a JWT: {exc}") from exc
    client_id = str(unverified.get("iss") or "")
    tool = ops.tool_by_client_id(s, g.platform, client_id)
    if tool is None:
        raise DeepLinkError(f"No tool has client_id {client_id!r} (the response's iss).")
    try:
        key = tool_key_sets().key_for(tool.jwks_url, token)
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=iss(),
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
        )
    except keys.KeySetError as exc:
        raise DeepLinkError(f"The tool's key set: {exc}") from exc
    except jwt.InvalidAudienceError as exc:
        raise DeepLinkError(f"The response's aud must be the platform issuer {iss()}.") from exc
    except jwt.PyJWTError as exc:
        raise DeepLinkError(f"The response's signature or claims are invalid: {exc}") from exc
    if claims.get(v.CLAIM_MESSAGE_TYPE) != v.MSG_DEEP_LINKING_RESPONSE:
        raise DeepLinkError("message_type must be LtiDeepLinkingResponse.")
    if claims.get(v.CLAIM_VERSION) != "1.3.0":
        raise DeepLinkError("version must be 1.3.0.")
    if claims.get(v.CLAIM_DEPLOYMENT_ID) != tool.deployment_id:
        raise DeepLinkError("deployment_id does not match the tool's deployment.")
    state = dict(expected)
    if g.platform.flavour == "canvas":
        try:
            state = hints.read(launches.DL_DATA, str(claims.get(v.CLAIM_DL_DATA) or ""))
        except hints.HintError as exc:
            raise DeepLinkError(f"The data claim must echo the request's data: {exc}") from exc
        if "c" in expected and expected["c"] != state.get("c"):
            raise DeepLinkError("The response is for another course.")
    if state.get("p") != g.platform.slug or state.get("t") != tool.id:
        raise DeepLinkError("The response was not requested from this tool.")
    course = s.get(Course, state["c"])
    if course is None or course.platform_id != g.platform.id:
        raise DeepLinkError("Unknown course.")
    exp = datetime.fromtimestamp(int(claims["exp"]) + LEEWAY, UTC)
    if not ops.use_nonce(s, tool, "dl-nonce", str(claims["nonce"]), exp):
        raise DeepLinkError("This response was already received (nonce replayed).")
    claims["_state"] = state
    return tool, course, claims


def _place(tool: Tool, course: Course, claims: dict[str, Any]) -> list[ResourceLink]:
    s = session()
    items = claims.get(v.CLAIM_DL_CONTENT_ITEMS) or []
    if not isinstance(items, list):
        raise DeepLinkError("content_items must be a list.")
    if g.platform.flavour == "canvas":
        settings = v.CANVAS_DL_PLACEMENTS[claims["_state"].get("pl") or "link_selection"]
        accepted = set(cast(list[str], settings["accept_types"]))
        multiple = bool(settings["accept_multiple"])
    else:
        accepted, multiple = {"ltiResourceLink"}, True
    if len(items) > 1 and not multiple:
        raise DeepLinkError("This placement accepts a single content item.")
    links = []
    for item in items:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in accepted:
            raise DeepLinkError(f"Content items of type {kind!r} are not accepted here.")
        if kind != "ltiResourceLink":
            raise DeepLinkError(f"The sandbox only places ltiResourceLink items, not {kind!r}.")
        custom = item.get("custom") or {}
        if not isinstance(custom, dict):
            raise DeepLinkError("custom must be an object.")
        link = ops.add_resource_link(
            s,
            course,
            tool,
            str(item.get("title") or tool.name),
            description=str(item.get("text") or ""),
            url=item.get("url") or None,
            custom={str(k): str(val) for k, val in custom.items()},
        )
        line_item = item.get("lineItem")
        if isinstance(line_item, dict):
            maximum = line_item.get("scoreMaximum")
            if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
                raise DeepLinkError("lineItem.scoreMaximum must be a number greater than 0.")
            # The column is made with the activity / assignment, as the products do.
            ops.add_line_item(
                s,
                course,
                tool,
                str(line_item.get("label") or link.title),
                maximum,
                resource_link=link,
                tag=str(line_item.get("tag") or ""),
                resource_id=str(line_item.get("resourceId") or ""),
                coupled=True,
            )
        links.append(link)
    return links


def _handle(expected: dict[str, Any]) -> tuple[str, int]:
    token = request.form.get("JWT") or request.form.get("jwt") or ""
    s = session()
    try:
        if not token:
            raise DeepLinkError("The tool posted no JWT.")
        tool, course, claims = _verify(token, expected)
        links = _place(tool, course, claims)
    except DeepLinkError as exc:
        s.rollback()
        return render_template(
            "sandbox/error.html", title="Content not added", message=str(exc)
        ), 400
    s.commit()
    user_id = claims["_state"].get("u")
    user = s.get(ops.User, user_id) if user_id else None
    return render_template(
        "sandbox/deep_link_done.html",
        platform=g.platform,
        course=course,
        links=links,
        msg=claims.get(v.CLAIM_DL_MSG),
        errormsg=claims.get(v.CLAIM_DL_ERRORMSG),
        as_login=user.login if user else None,
    ), 200


@bp.route("/mod/lti/contentitem_return.php", methods=["POST"], endpoint="moodle_dl_return")
@only("moodle")
def moodle_dl_return() -> tuple[str, int]:
    """Moodle's content item return: ``course``, ``id`` (type id), ``sesskey`` in the URL."""
    try:
        state = hints.read(launches.SESSKEY, request.args.get("sesskey", ""))
    except hints.HintError as exc:
        return render_template(
            "sandbox/error.html", title="Content not added", message=f"sesskey: {exc}"
        ), 400
    tool = session().get(Tool, state.get("t"))
    if (
        str(state.get("c")) != request.args.get("course")
        or tool is None
        or tool.deployment_id != request.args.get("id")
    ):
        return render_template(
            "sandbox/error.html",
            title="Content not added",
            message="course or id do not match the request.",
        ), 400
    return _handle(state)


@bp.route(
    "/courses/<int:course_id>/deep_linking_response", methods=["POST"], endpoint="canvas_dl_return"
)
@only("canvas")
def canvas_dl_return(course_id: int) -> tuple[str, int]:
    """Canvas's deep linking response endpoint (state in the echoed ``data``)."""
    return _handle({"c": course_id})
