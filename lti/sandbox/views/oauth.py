"""OAuth 2 client credentials with a signed JWT assertion, the platform key set, and the
OpenID configuration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
from flask import Response, current_app, g, jsonify, request

from lti.sandbox import keys
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.db import session
from lti.sandbox.models import Tool
from lti.sandbox.views.canvas_oauth import user_token_grant
from lti.sandbox.views.common import bp, iss, only

LEEWAY = 30  # seconds of clock skew tolerated on exp/iat


def tool_key_sets() -> keys.ToolKeySets:
    """The app's JWKS fetcher (tests inject a ``requests.Session`` through config)."""
    return current_app.extensions["lti_sandbox_keysets"]


def _error(error: str, description: str) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": error}
    if g.platform.flavour == "canvas":
        body["error_description"] = description
    else:
        # Moodle answers only {"error": …}; the description goes to the log.
        current_app.logger.info("token refused: %s (%s)", error, description)
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, 400


def verify_client_assertion(
    tool: Tool, assertion: str, audience: str | list[str]
) -> dict[str, Any]:
    """Verify a tool-signed JWT against the tool's key set: RS256, iss = sub = client_id, aud
    naming ``audience``, a live exp. Raises ``ValueError`` with the reason."""
    try:
        key = tool_key_sets().key_for(tool.jwks_url, assertion)
    except keys.KeySetError as exc:
        raise ValueError(str(exc)) from exc
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            audience=audience,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
    except jwt.InvalidAudienceError as exc:
        names = audience if isinstance(audience, str) else " or ".join(audience)
        raise ValueError(f"aud must name {names}") from exc
    except jwt.PyJWTError as exc:
        raise ValueError(f"client_assertion: {exc}") from exc
    if claims["iss"] != tool.client_id or claims["sub"] != tool.client_id:
        raise ValueError("iss and sub must be the client_id")
    return claims


def _token() -> tuple[Response, int] | Response:
    form = request.form
    if request.mimetype != "application/x-www-form-urlencoded":
        return _error("invalid_request", "the body must be application/x-www-form-urlencoded")
    if (
        form.get("grant_type") != "client_credentials"
        or form.get("client_assertion_type") != v.ASSERTION_TYPE
    ):
        return _error(
            "unsupported_grant_type",
            "grant_type must be client_credentials with a jwt-bearer assertion",
        )
    assertion = form.get("client_assertion", "")
    requested = form.get("scope", "").split()
    if not assertion or not requested:
        return _error("invalid_request", "client_assertion and scope are required")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _error("invalid_request", "client_assertion is not a JWT")
    s = session()
    client_id = str(unverified.get("sub") or "")
    tool = ops.tool_by_client_id(s, g.platform, client_id)
    if tool is None or not tool.active:
        return _error("invalid_client", f"unknown client {client_id!r}")
    audience = g.flavour.token_url(iss())
    # The spec's aud is the configuration's authorization_server when it names one (Canvas
    # does); tools registered dynamically use it, tools configured by hand the token URL.
    server = g.flavour.openid_configuration(iss()).get("authorization_server")
    try:
        claims = verify_client_assertion(
            tool, assertion, [audience, server] if server else audience
        )
    except ValueError as exc:
        return _error("invalid_client", str(exc))
    expires = datetime.fromtimestamp(int(claims["exp"]) + LEEWAY, UTC)
    if not ops.use_nonce(s, tool, "jti", str(claims["jti"]), expires):
        s.commit()
        return _error("invalid_client", "this client_assertion (jti) was already used")
    granted = [sc for sc in requested if sc in tool.scope_set]
    if not granted:
        s.commit()
        return _error("invalid_scope", "none of the requested scopes is granted to this tool")
    token_value = None
    if g.platform.flavour == "canvas":
        # Canvas's access tokens are JWTs signed by the platform.
        now = int(datetime.now(UTC).timestamp())
        token_value = keys.sign(
            s,
            g.platform,
            {
                "iss": iss(),
                "sub": tool.client_id,
                "aud": audience,
                "iat": now,
                "exp": now + 3600,
                "scopes": " ".join(granted),
                "jti": ops.secrets.token_hex(16),
            },
        )
    token = ops.issue_access_token(s, tool, granted, token=token_value)
    s.commit()
    resp = jsonify(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(granted),
        }
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/mod/lti/token.php", methods=["POST"], endpoint="moodle_token")
@only("moodle")
def moodle_token() -> Any:
    """Moodle's token endpoint."""
    return _token()


@bp.route("/login/oauth2/token", methods=["POST"], endpoint="canvas_token")
@only("canvas")
def canvas_token() -> Any:
    """Canvas's token endpoint: LTI Advantage's client credentials, and the user grants of
    API developer keys (Canvas infers ``authorization_code`` from a bare ``code``)."""
    grant = request.form.get("grant_type") or (
        "authorization_code" if request.form.get("code") else ""
    )
    if grant in ("authorization_code", "refresh_token"):
        return user_token_grant()
    return _token()


@bp.route("/mod/lti/certs.php", endpoint="moodle_jwks")
@only("moodle")
def moodle_jwks() -> Response:
    """Moodle's key set."""
    return jsonify(keys.platform_jwks(session(), g.platform))


@bp.route("/api/lti/security/jwks", endpoint="canvas_jwks")
@bp.route("/login/oauth2/jwks", endpoint="canvas_jwks_alias")
@only("canvas")
def canvas_jwks() -> Response:
    """Canvas's key set."""
    return jsonify(keys.platform_jwks(session(), g.platform))


@bp.route("/.well-known/openid-configuration")
def openid_configuration() -> Response:
    """The platform's OpenID configuration in its product's shape."""
    return jsonify(g.flavour.openid_configuration(iss()))


@bp.route("/mod/lti/openid-configuration.php", endpoint="moodle_openid_configuration")
@only("moodle")
def moodle_openid_configuration() -> Response:
    """Where Moodle itself serves it."""
    return jsonify(g.flavour.openid_configuration(iss()))
