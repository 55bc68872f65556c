"""LTI endpoints: OIDC login, launch, deep linking response and the tool's key set.

lti/ validates the messages; these views record the launch and start its grade sync."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource

from app.error_pages import error_page
from app.grades.jobs import sync_on_launch
from app.launch.operations import record
from app.launch_session import current_session, launch_required
from app.security.limits import rate_limit
from lti import keys
from lti.errors import LaunchRejected
from lti.launch import ToolMessageLaunch, ToolOIDCLogin
from lti.tool_conf import DatabaseToolConf

log = logging.getLogger(__name__)
bp = Blueprint("lti", __name__, url_prefix="/lti")


def launch_url() -> str:
    """The tool's redirect URI / target link URI, as registered with platforms."""
    return current_app.config["PUBLIC_BASE_URL"] + "/lti/launch"


@bp.errorhandler(LaunchRejected)
def rejected(exc: LaunchRejected):
    log.warning("LTI message rejected: %s", exc)
    return error_page(exc, exc.title)


@bp.route("/login", methods=["GET", "POST"])
@rate_limit("RATE_LIMIT_LTI_LOGIN")
def login():
    return ToolOIDCLogin(FlaskRequest(), DatabaseToolConf()).respond(launch_url())


@bp.get("/launch")
def launch_url_check():
    """A plain GET on the launch URL (Moodle checks the URL when an activity is saved): a
    short page saying what this address is, not a 405."""
    return render_template("lti/launch_url.html")


@bp.post("/launch")
def launch():
    message = ToolMessageLaunch(FlaskRequest(), DatabaseToolConf())
    message.validate()
    session = record(message)
    g.launch_session = session  # the pages drawn by this request speak the launch's language
    sync_on_launch(session.context_id)  # grades are pulled, never pushed: refresh in background
    if message.is_deep_link_launch():
        if not session.is_staff:
            raise LaunchRejected(
                "not_staff",
                _l("Only course staff can add Badgebridge to a course."),
                status=403,
                title=_l("Not allowed"),
            )
        target = url_for("lti.deep_link_picker", lt=session.token())
    else:
        endpoint = "course.staff_home" if session.is_staff else "course.learner_home"
        target = url_for(endpoint, lt=session.token())
    if message.client_state_check:
        body = message.jwt_body
        return render_template(
            "lti/storage_launch.html",
            next_url=target,
            state=message.client_state_check,
            nonce=body.get("nonce"),
            target=FlaskRequest().get_param("lti_storage_target"),
            platform_origin=_platform_origin(message),
        )
    return redirect(target, 302)


def _platform_origin(message: ToolMessageLaunch) -> str:
    reg = message._registration
    assert reg is not None  # validate() found it
    parts = urlsplit(reg.get_auth_login_url() or reg.get_issuer() or "")
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("/deep-link")
@launch_required(staff=True)
def deep_link_picker():
    return render_template("lti/deep_link.html")


@bp.post("/deep-link")
@launch_required(staff=True)
def deep_link_respond():
    session = current_session()
    message = None
    try:
        message = ToolMessageLaunch.restore(session.launch_id, FlaskRequest(), DatabaseToolConf())
    except LaunchRejected:
        if session.deep_linking:
            raise  # its stored launch expired
        # Other launches store nothing (tokens from before that change still find theirs).
    if message is None or not message.is_deep_link_launch():
        raise LaunchRejected(
            "wrong_message_type", _l("This launch was not a deep linking request.")
        )
    resource = DeepLinkResource().set_url(launch_url()).set_title("Badges").set_custom_params({})
    item = resource.to_dict()
    item.pop("custom", None)
    item["text"] = "Earn and share Open Badges for this course."
    deep_link = message.get_deep_link()
    claims = deep_link.get_message_jwt([resource])
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] = [item]
    data_claim = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    if claims.get(data_claim) is None:
        claims.pop(data_claim, None)  # echo `data` only when the platform sent one
    settings = (
        message.jwt_body.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings")
        or {}
    )
    return render_template(
        "lti/autopost.html",
        action=settings["deep_link_return_url"],
        fields={"JWT": deep_link.encode_jwt(claims)},
        title=_("Adding Badgebridge to your course…"),
    )


@bp.get("/jwks.json")
def jwks():
    response = jsonify(keys.published_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
