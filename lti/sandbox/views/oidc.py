"""OIDC: the third-party initiated login the platform posts, and its authorization endpoint."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, g, render_template, request

from lti.sandbox import hints
from lti.sandbox import launch as launches
from lti.sandbox import operations as ops
from lti.sandbox.db import session
from lti.sandbox.models import User
from lti.sandbox.views.common import base_url, bp, only


@bp.route("/lti/initiate")
def initiate() -> Response | tuple[str, int]:
    """Start a launch inside the tool's iframe: auto-submit the login initiation (a form POST,
    as Moodle and Canvas do) to the tool's login URL."""
    hint = request.args.get("hint", "")
    try:
        claims = hints.read(launches.HINT, hint)
    except hints.HintError as exc:
        return render_template("sandbox/error.html", title="Launch refused", message=str(exc)), 400
    found = launches.parties(session(), claims)
    if claims.get("p") != g.platform.slug or found is None:
        return render_template(
            "sandbox/error.html",
            title="Launch refused",
            message="This launch is for another platform.",
        ), 400
    tool, user, _course, link, _enrolment = found
    if not tool.active:
        return render_template(
            "sandbox/error.html",
            title="Launch refused",
            message=f"{tool.name} is not active on this platform: an "
            "administrator must activate it first.",
        ), 403
    fields = launches.login_form_fields(
        g.platform, tool, user, hint, launches.target_for(tool, link, claims["m"]), base_url()
    )
    return Response(
        render_template(
            "sandbox/autopost.html", action=tool.login_url, fields=fields, title="Opening the tool…"
        )
    )


def _auth() -> Response | tuple[str, int]:
    params = request.values
    s = session()
    client_id = params.get("client_id", "")
    tool = ops.tool_by_client_id(s, g.platform, client_id)
    if tool is None or not tool.active:
        return _page(400, "Unknown client_id", f"No active tool has client_id {client_id!r}.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in tool.redirect_uris:
        # Never send anything to an unregistered address (OIDC Core 3.1.2.6).
        return _page(
            400,
            "Invalid redirect_uri",
            f"{redirect_uri!r} is not a registered redirect URI of {tool.name}.",
        )
    state = params.get("state")
    mode = params.get("response_mode")

    def fail(error: str, description: str) -> Response:
        fields = {"error": error, "error_description": description}
        if state is not None:
            fields["state"] = state
        if mode == "form_post":
            return Response(
                render_template(
                    "sandbox/autopost.html",
                    action=redirect_uri,
                    fields=fields,
                    title="Returning an error…",
                )
            )
        sep = "&" if "?" in redirect_uri else "?"
        return Response(status=302, headers={"Location": redirect_uri + sep + urlencode(fields)})

    if params.get("response_type") != "id_token":
        return fail("unsupported_response_type", "response_type must be id_token")
    if "openid" not in params.get("scope", "").split():
        return fail("invalid_scope", "scope must be openid")
    if mode != "form_post":
        return fail("invalid_request", "response_mode must be form_post")
    if params.get("prompt") != "none":
        return fail("invalid_request", "prompt must be none")
    nonce = params.get("nonce", "")
    if not nonce:
        return fail("invalid_request", "nonce is required")
    try:
        hint = hints.read(launches.HINT, params.get("lti_message_hint", ""))
    except hints.HintError as exc:
        return fail("invalid_request", f"lti_message_hint: {exc}")
    if hint.get("p") != g.platform.slug or hint.get("t") != tool.id:
        return fail("unauthorized_client", "the launch was not issued for this client")
    user = s.get(User, hint["u"])
    if user is None or params.get("login_hint") != launches.login_hint(g.platform, user):
        return fail("access_denied", "login_hint does not match the user of this launch")
    try:
        id_token, _claims = launches.build_id_token(s, g.platform, hint, nonce, base_url())
    except (LookupError, PermissionError) as exc:
        return fail("access_denied", str(exc))
    s.commit()
    fields = {"id_token": id_token}
    if state is not None:
        fields["state"] = state
    if g.platform.flavour == "canvas":
        fields["lti_storage_target"] = "post_message_forwarding"
    return Response(
        render_template(
            "sandbox/autopost.html", action=redirect_uri, fields=fields, title="Launching…"
        )
    )


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("sandbox/error.html", title=title, message=message), status


@bp.route("/mod/lti/auth.php", methods=["GET", "POST"], endpoint="moodle_auth")
@only("moodle")
def moodle_auth() -> Response | tuple[str, int]:
    """Moodle's authorization endpoint."""
    return _auth()


@bp.route("/api/lti/authorize_redirect", methods=["GET", "POST"], endpoint="canvas_auth")
@bp.route("/api/lti/authorize", methods=["GET", "POST"], endpoint="canvas_authorize")
@only("canvas")
def canvas_auth() -> Response | tuple[str, int]:
    """Canvas's authorization endpoint (authorize_redirect answers directly here: one host)."""
    return _auth()
