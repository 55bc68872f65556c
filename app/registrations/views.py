"""Registration endpoints: LTI Dynamic Registration and Canvas's developer key JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from app.audit import Actor
from app.error_pages import error_page
from app.registrations.dynamic import register_tool
from app.security.limits import rate_limit
from app.settings import number
from lti import canvas_config
from lti.dynamic_registration.exchange import DEFAULT_TIMEOUT
from lti.errors import RegistrationFailed
from lti.tool_urls import tool_urls

log = logging.getLogger(__name__)
# The tool's logo is served from here (/lti/static/…): platforms keep its URL.
bp = Blueprint(
    "lti_registration",
    __name__,
    url_prefix="/lti",
    static_folder="static",
    static_url_path="/static",
)


@bp.errorhandler(RateLimitExceeded)
def rate_limited(exc: RateLimitExceeded):
    log.warning(
        "dynamic registration rate limit reached for %s (%s)", request.remote_addr, exc.description
    )
    return render_template(
        "error.html",
        title=_("Too many registration attempts"),
        message=_("This address started too many registrations in a short time."),
        hint=_("Wait a few minutes, then start the registration again from the LMS."),
        code="rate_limited",
        status=429,
    ), 429


@bp.get("/register")
@rate_limit("LTI_REGISTER_RATE_LIMIT")
def register():
    """Dynamic registration: the LMS opens this URL with its configuration URL and a token."""
    configuration_url = (request.args.get("openid_configuration") or "").strip()
    if not configuration_url:
        return render_template(
            "error.html",
            title=_("Badgebridge's registration URL"),
            message=_(
                "This is the URL to paste into your LMS's tool registration (LTI Dynamic "
                "Registration). Opened directly it has nothing to do: it needs the "
                "openid_configuration parameter the LMS adds."
            ),
            code="openid_configuration_missing",
            status=400,
        ), 400
    try:
        outcome = register_tool(
            configuration_url,
            request.args.get("registration_token") or None,
            Actor.from_request(),
            timeout=number("LTI_REGISTRATION_TIMEOUT", DEFAULT_TIMEOUT),
        )
    except RegistrationFailed as exc:
        log.warning("dynamic registration from %s failed: %s", configuration_url, exc)
        return error_page(exc, exc.title)
    return render_template("registration/complete.html", outcome=outcome)


@bp.get("/canvas.json")
def canvas_json():
    """Canvas's LTI 1.3 developer key configuration ("Enter URL" in the developer key form)."""
    urls = tool_urls()
    response = jsonify(
        canvas_config.developer_key(
            login_url=urls.login, launch_url=urls.launch, jwks_url=urls.jwks, icon_url=urls.logo
        )
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
