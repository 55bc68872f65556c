"""The OB 3.0 API provider's routes: discovery, the OAuth 2.0 endpoints, the resources, and
the learner's side of consent (in My badges).

Resource errors answer ``Imsx_StatusInfo`` bodies, as the spec's OpenAPI file says; the OAuth
endpoints answer OAuth errors, as RFC 6749, 7009 and 7591 say.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, jsonify, redirect, render_template, request
from flask_babel import gettext as _

from app.launch_session import current_session, launch_required, launch_url
from app.ob3api import operations, spec
from app.ob3api.models import ConsentStatus
from app.ob3api.server import Grantee, Token, authorization_server, resource_protector
from app.security.limits import rate_limit

log = logging.getLogger(__name__)

bp = Blueprint("ob3api", __name__)


@bp.get(spec.DISCOVERY_PATH)
def discovery() -> Response:
    """The Service Description Document (public, cacheable for an hour)."""
    response = jsonify(spec.service_description())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    response.make_conditional(request)  # answers 304 in place when the client has it
    return response


@bp.post(spec.REGISTER_PATH)
@rate_limit("RATE_LIMIT_OB3_REGISTER")
def register() -> Response:
    """RFC 7591 dynamic client registration."""
    return authorization_server().create_endpoint_response("client_registration")


@bp.post(spec.TOKEN_PATH)
def token() -> Response:
    """Access tokens for authorization codes (with the PKCE verifier) and refresh tokens."""
    return authorization_server().create_token_response()


@bp.post(spec.REVOKE_PATH)
def revoke() -> Response:
    """RFC 7009 token revocation."""
    return authorization_server().create_endpoint_response("revocation")


def _oauth_args() -> dict[str, str]:
    return {name: request.args.get(name, "") for name in operations.REQUEST_PARAMETERS}


@bp.get(spec.AUTHORIZE_PATH)
def authorize():
    """The authorization endpoint: validate the request, then wait for the learner's consent
    given in My badges (see :mod:`app.ob3api.operations`), then answer the client."""
    server = authorization_server()
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if error.redirect_uri:  # a known client and redirect URI: tell the client
            return server.handle_error_response(request, error)
        log.info("OB 3.0 authorization request refused: %s", error.error)
        # An unknown client or redirect URI: never redirect there (RFC 6749 4.1.2.1).
        return render_template(
            "error.html",
            title=_("This app's request cannot be used"),
            message=error.get_error_description() or error.error,
            status=400,
        ), 400
    args = _oauth_args()
    pending = request.args.get("pending")
    if not pending:
        consent = operations.start_consent(args["client_id"], args, grant.request.scope or "")
        return redirect(f"{request.base_url}?{urlencode({**args, 'pending': consent.public_id})}")
    consent = operations.find_consent(pending, args)
    if consent is None:
        return render_template(
            "error.html",
            title=_("This request has expired"),
            message=_("Go back to the app and connect your badges again."),
            status=410,
        ), 410
    if consent.status == ConsentStatus.PENDING:
        return (
            render_template(
                "ob3api/authorize.html",
                consent=consent,
                client=consent.client.client_metadata,
                scopes=[spec.SCOPES.get(s, s) for s in consent.scope.split() if s in spec.SCOPES],
            ),
            200,
            {"Cache-Control": "no-store"},
        )
    user = (
        Grantee(consent.user_id, consent.registration_id)
        if consent.status == ConsentStatus.APPROVED
        and consent.user_id is not None
        and consent.registration_id is not None
        else None
    )
    operations.mark_used(consent)
    return server.create_authorization_response(grant_user=user, grant=grant)


# --- resources ----------------------------------------------------------------------------


def _token(scope: str) -> Token | Response:
    """The request's valid bearer token with ``scope``, or the spec's error response."""
    try:
        return resource_protector().acquire_token([scope])
    except OAuth2Error as error:
        status = error.status_code or 401
        response = spec.error_response(
            status,
            error.get_error_description()
            or (
                "The access token does not grant this request's scope."
                if status == 403
                else "A valid access token is required."
            ),
        )
        # RFC 6750 section 3: the challenge names the error (and the scope a 403 lacked).
        challenge = f'Bearer error="{error.error}"' if error.error else "Bearer"
        if status == 403:
            challenge += f', scope="{scope}"'
        response.headers["WWW-Authenticate"] = challenge
        return response


def _number(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise ValueError(f"'{name}' must be an integer of at least {minimum}.")
    return int(raw)


def _page_link(limit: int, offset: int, since: str | None) -> str:
    query = {"limit": limit, "offset": offset, **({"since": since} if since else {})}
    return f"{request.base_url}?{urlencode(query)}"


@bp.get(spec.CREDENTIALS_PATH)
def get_credentials() -> Response:
    """getCredentials: the token's learner's credentials, paged."""
    token = _token(spec.CREDENTIAL_READONLY)
    if isinstance(token, Response):
        return token
    since_text = request.args.get("since")
    try:
        limit = min(_number("limit", spec.DEFAULT_LIMIT, 1), spec.MAX_LIMIT)
        offset = _number("offset", 0, 0)
        since = datetime.fromisoformat(since_text.replace("Z", "+00:00")) if since_text else None
        if since is not None and since.tzinfo is None:
            raise ValueError("'since' must give a time zone (e.g. 2026-01-01T00:00:00Z).")
    except ValueError as exc:
        message = str(exc) if str(exc).startswith("'") else "'since' must be an ISO 8601 time."
        return spec.error_response(400, message, "invalid_query_parameter")
    grantee = token.grantee
    page = operations.credentials_page(
        grantee.user_id, grantee.registration_id, limit, offset, since
    )
    response = jsonify({"credential": page.credentials})
    response.headers["X-Total-Count"] = str(page.total)
    links = [
        f'<{_page_link(limit, at, since_text)}>; rel="{rel}"'
        for rel, at in spec.page_offsets(page.total, limit, offset).items()
    ]
    response.headers["Link"] = ", ".join(links)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(spec.PROFILE_PATH)
def get_profile() -> Response:
    """getProfile: the token's learner as an OB 3.0 Profile."""
    token = _token(spec.PROFILE_READONLY)
    if isinstance(token, Response):
        return token
    document = operations.profile(token.grantee.user_id)
    if document is None:
        return spec.error_response(404, "The learner of this token no longer exists.")
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the learner's consent, from My badges ---------------------------------------------------


@bp.post("/learner/apps/connect")
@rate_limit("RATE_LIMIT_APP_CODE")  # codes are short: no guessing other people's
@launch_required()
def connect_app():
    """The learner typed the code an app's authorization page shows: show what it asks."""
    consent = operations.pending_by_code(request.form.get("code", ""))
    if consent is None:
        return render_template(
            "ob3api/connect.html",
            consent=None,
            error=_(
                "No app is waiting for that code. Check the code on the app's page "
                "(it expires after 10 minutes) and type it again."
            ),
        ), 404
    return render_template(
        "ob3api/connect.html",
        consent=consent,
        client=consent.client.client_metadata,
        scopes=[spec.SCOPES.get(s, s) for s in consent.scope.split() if s in spec.SCOPES],
        error=None,
    )


@bp.post("/learner/apps/connect/<public_id>")
@launch_required()
def decide_app(public_id: str):
    """Approve or deny an app's request: the grant is for this launch's learner."""
    session = current_session()
    consent = operations.pending_by_id(public_id)
    if consent is None:
        return render_template(
            "ob3api/connect.html",
            consent=None,
            error=_("This request has expired or was already answered. Start again from the app."),
        ), 404
    approve = request.form.get("decision") == "approve"
    operations.decide(consent, session.user_id, session.registration_id, approve)
    notice = "app-approved" if approve else "app-denied"
    return redirect(launch_url("course.learner_home", notice=notice), 303)


@bp.get("/learner/apps")
@launch_required()
def connected_apps():
    """The apps this learner let read their badges, each with Disconnect (its own page, so
    My badges asks nothing more of the database than the badges)."""
    session = current_session()
    return render_template(
        "ob3api/apps.html",
        apps=operations.connected_apps(session.user_id, session.registration_id),
        notice=request.args.get("notice") == "app-disconnected",
    )


@bp.post("/learner/apps/<client_id>/disconnect")
@launch_required()
def disconnect_app(client_id: str):
    """End an app's access to this learner's badges (every grant they gave it)."""
    session = current_session()
    operations.disconnect_app(session.user_id, session.registration_id, client_id)
    return redirect(
        launch_url("ob3api.connected_apps", notice="app-disconnected"),
        303,
    )
