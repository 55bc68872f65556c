"""LTI Dynamic Registration endpoints (per product) and the admin's "Register a tool" page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Response, abort, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from lti.sandbox import dynreg, hints
from lti.sandbox.db import session
from lti.sandbox.views.common import bp, iss, only

ADMIN_FORM = "sandbox-admin"


def _refusal(exc: dynreg.DynRegError) -> Response:
    """A refused registration request in the product's style."""
    if g.platform.flavour == "canvas":
        resp = jsonify({"errors": [{"type": exc.code, "message": exc.message}]})
    else:
        # Moodle's mod/lti/openid-registration.php answers the bare code as the body.
        resp = Response(exc.code, mimetype="text/plain")
    resp.status_code = exc.status
    if exc.status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return resp


def _supported_scopes() -> list[str]:
    return list(g.flavour.openid_configuration(iss())["scopes_supported"])


def _register() -> Response:
    """Receive a tool's client registration (the token is spent on success only)."""
    s = session()
    try:
        token = dynreg.check_token(s, g.platform, request.headers.get("Authorization"))
        try:
            payload: Any = json.loads(request.get_data(as_text=True) or "null")
        except ValueError as exc:
            raise dynreg.DynRegError(400, "invalid_registration", "The body is not JSON.") from exc
        _tool, body = dynreg.register(s, g.platform, token, payload, _supported_scopes())
    except dynreg.DynRegError as exc:
        s.rollback()
        if g.platform.flavour == "canvas" and exc.status == 400:
            exc.status = 422  # Canvas answers validation failures as unprocessable.
        return _refusal(exc)
    s.commit()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/mod/lti/openid-registration.php", methods=["POST"], endpoint="moodle_registration")
@only("moodle")
def moodle_registration() -> Response:
    """Moodle's registration endpoint."""
    return _register()


@bp.route("/api/lti/registrations", methods=["POST"], endpoint="canvas_registration")
@only("canvas")
def canvas_registration() -> Response:
    """Canvas's registration endpoint."""
    return _register()


@bp.route("/api/lti/security/openid-configuration", endpoint="canvas_openid_configuration")
@only("canvas")
def canvas_openid_configuration() -> Response:
    """Canvas hands this URL to the tool; it answers only with a live registration token."""
    try:
        dynreg.check_token(session(), g.platform, request.headers.get("Authorization"))
    except dynreg.DynRegError as exc:
        return _refusal(exc)
    return jsonify(g.flavour.openid_configuration(iss()))


# ---- the admin's page ------------------------------------------------------------------
def _start_url(tool_url: str, configuration: str, token: str) -> str:
    sep = "&" if urlsplit(tool_url).query else "?"
    return (
        tool_url
        + sep
        + urlencode({"openid_configuration": configuration, "registration_token": token})
    )


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    s = session()
    return render_template(
        "sandbox/register_tool.html",
        platform=g.platform,
        tools=dynreg.all_tools(s, g.platform),
        csrf=hints.make(ADMIN_FORM, {"p": g.platform.slug}, ttl=3600),
        activate_label="Enable" if g.platform.flavour == "canvas" else "Activate",
        message=request.args.get("msg"),
        **extra,
    ), status


def _check_csrf() -> None:
    # The admin pages are plain forms on the sandbox's own site; a signed per-platform value
    # keeps another site from posting them.
    try:
        claims = hints.read(ADMIN_FORM, request.form.get("csrf", ""))
    except hints.HintError:
        abort(400, description="The form has expired: reload the page.")
    if claims.get("p") != g.platform.slug:
        abort(400, description="The form belongs to another platform.")


@bp.route("/admin/tools/register", methods=["GET", "POST"], endpoint="register_tool")
def register_tool_page() -> tuple[str, int]:
    """Paste a tool's registration URL; the tool's page opens here with the platform's
    configuration URL and a fresh registration token (Canvas in an iframe, Moodle in a
    dialog, here an iframe with a new-window fallback) and closes with a postMessage."""
    if request.method == "GET":
        return _page()
    _check_csrf()
    tool_url = request.form.get("url", "").strip()
    parts = urlsplit(tool_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _page(400, error="Paste the tool's registration URL (http or https).", url=tool_url)
    s = session()
    issued = dynreg.issue_token(s, g.platform)
    s.commit()
    start = _start_url(tool_url, dynreg.configuration_url(g.platform.flavour, iss()), issued.token)
    return _page(start_url=start, url=tool_url)


@bp.route("/admin/tools/<client_id>/activate", methods=["POST"], endpoint="activate_tool")
def activate_tool_page(client_id: str) -> BaseResponse:
    """Moodle's "Activate" on a pending tool; Canvas's "ON" and deploy of a developer key."""
    _check_csrf()
    s = session()
    try:
        tool = dynreg.activate(s, g.platform, client_id)
    except LookupError:
        abort(404)
    s.commit()
    return redirect(
        url_for(
            "sandbox.register_tool", msg=f"{tool.name} is active (deployment {tool.deployment_id})."
        )
    )
