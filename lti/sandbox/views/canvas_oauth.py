"""Canvas's OAuth 2 provider for API developer keys, as ``oauth2_provider_controller.rb`` and
``lib/canvas/oauth/`` behave: ``GET /login/oauth2/auth`` (a consent page for the signed-in
user), the ``authorization_code`` and ``refresh_token`` grants of ``POST /login/oauth2/token``
(access tokens of an hour, the refresh token kept across refreshes), ``DELETE
/login/oauth2/token`` (the token and its refresh token deleted), and Canvas's error bodies and
statuses (``lib/canvas/oauth/request_error.rb``, ``invalid_scope_error.rb``)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, g, jsonify, redirect, render_template, request, url_for
from flask import session as cookie
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from lti.sandbox import operations as ops
from lti.sandbox.db import session
from lti.sandbox.models import (
    API_KEY_ID_BASE,
    ApiToken,
    Course,
    DeveloperKey,
    LineItem,
    OAuthCode,
    User,
    as_utc,
    dumps,
    utcnow,
)
from lti.sandbox.views.common import bp, only

CODE_TTL = timedelta(minutes=10)  # Canvas's oath_token_request_timeout

# lib/canvas/oauth/request_error.rb
ERRORS: dict[str, tuple[str, str, int]] = {
    "invalid_client_id": ("invalid_client", "unknown client", 401),
    "invalid_client_secret": ("invalid_client", "invalid client", 401),
    "invalid_redirect": ("invalid_request", "redirect_uri does not match client settings", 400),
    "invalid_refresh_token": ("invalid_request", "refresh_token not found", 400),
    "invalid_authorization_code": ("invalid_grant", "authorization_code not found", 400),
    "incorrect_client": ("invalid_grant", "incorrect client", 400),
    "authorization_code_not_supplied": (
        "invalid_request",
        "You must provide the code parameter when using the authorization_code grant type",
        400,
    ),
    "refresh_token_not_supplied": (
        "invalid_request",
        "You must provide the refresh_token parameter when using the refresh_token grant type",
        400,
    ),
}


def oauth_error(name: str) -> Response:
    """Canvas's JSON for a refused OAuth request (a 401 names the scheme)."""
    error, description, status = ERRORS[name]
    resp = jsonify({"error": error, "error_description": description})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = "Canvas OAuth 2.0"
    return resp


def _key(client_id: str | None, active_only: bool = True) -> DeveloperKey | None:
    if not client_id or not client_id.isdigit():
        return None
    key = session().get(DeveloperKey, int(client_id) - API_KEY_ID_BASE)
    if key is None or key.platform_id != g.platform.id or (active_only and not key.active):
        return None
    return key


def _final(redirect_uri: str, **params: str) -> BaseResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + sep + urlencode({k: v for k, v in params.items() if v}))


def _signed_in() -> User | None:
    user_id = cookie.get(f"as:{g.platform.slug}")
    return session().get(User, user_id) if user_id else None


@bp.get("/login/oauth2/auth")
@only("canvas")
def oauth_auth() -> Any:
    """Check the key and redirect URI (JSON errors), the scopes (an error redirect), then ask
    the signed-in user to authorize (or to sign in first)."""
    args = request.args
    key = _key(args.get("client_id"))
    if key is None:
        return oauth_error("invalid_client_id")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in key.redirect_uris:
        return oauth_error("invalid_redirect")
    state = args.get("state", "")
    scopes = (args.get("scope") or args.get("scopes") or "").split()
    if key.require_scopes:
        missing = [s for s in scopes if s not in key.scopes]
        if missing or not scopes:
            # Canvas's InvalidScopeError goes back through redirect_oauth_error, which adds
            # only error and error_description to the redirect URI: no state.
            return _final(
                redirect_uri,
                error="invalid_scope",
                error_description="A requested scope is invalid, unknown, malformed, or exceeds "
                "the scope granted by the resource owner. The following scopes were requested, "
                f"but not granted: {', '.join(missing)}",
            )
    if args.get("response_type") != "code":
        return _final(
            redirect_uri,
            error="unsupported_response_type",
            error_description="Only response_type=code is permitted",
            state=state,
        )
    cookie["oauth2"] = {
        "key": key.id,
        "redirect_uri": redirect_uri,
        "scopes": scopes if key.require_scopes else [],
        "state": state,
    }
    return redirect(url_for("sandbox.oauth_confirm"))


@bp.route("/login/oauth2/confirm", methods=["GET", "POST"])
@only("canvas")
def oauth_confirm() -> Any:
    """The consent page ("… is requesting access to your account"); Authorize or Cancel."""
    pending = cookie.get("oauth2")
    if not pending:
        return Response("Must submit new OAuth2 request", status=400, mimetype="text/plain")
    s = session()
    key = s.get_one(DeveloperKey, pending["key"])
    user = _signed_in()
    if request.method == "POST" and request.form.get("login"):
        found = ops.find_user(s, g.platform, request.form["login"].strip())
        if found is not None:
            cookie[f"as:{g.platform.slug}"] = found.id
        return redirect(url_for("sandbox.oauth_confirm"))
    if request.method == "POST" and user is not None:
        cookie.pop("oauth2", None)
        if request.form.get("decision") != "accept":
            return _final(pending["redirect_uri"], error="access_denied", state=pending["state"])
        code = secrets.token_hex(64)
        s.add(
            OAuthCode(
                code=code,
                developer_key_id=key.id,
                user_id=user.id,
                scopes_json=dumps(pending["scopes"]),
                expires_at=utcnow() + CODE_TTL,
            )
        )
        s.commit()
        return _final(pending["redirect_uri"], code=code, state=pending["state"])
    return render_template(
        "sandbox/oauth_confirm.html", platform=g.platform, key=key, user=user, pending=pending
    )


def _client(form: Any) -> DeveloperKey | Response:
    """The developer key from client_id/client_secret (form or HTTP Basic), or the error to
    answer."""
    auth = request.authorization
    client_id = form.get("client_id") or (auth.username if auth else None)
    secret = form.get("client_secret") or (auth.password if auth else None)
    key = _key(client_id)
    if key is None:
        return oauth_error("invalid_client_id")
    if not secret or not secrets.compare_digest(secret, key.secret):
        return oauth_error("invalid_client_secret")
    return key


def _token_json(token: ApiToken, user: User, with_refresh: bool, lifetime: int) -> Response:
    body: dict[str, Any] = {
        "access_token": token.token,
        "token_type": "Bearer",
        "user": {
            "id": user.id,
            "name": user.name,
            "global_id": str(10000000000000 + user.id),
            "effective_locale": "en",
        },
    }
    if with_refresh:
        body["refresh_token"] = token.refresh_token
    body["expires_in"] = lifetime
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _new_token_value() -> str:
    return f"1~{secrets.token_urlsafe(48)}"


def user_token_grant() -> Response:
    """``grant_type=authorization_code`` or ``refresh_token`` (Canvas's GrantTypes)."""
    form = request.form
    key = _client(form)
    if isinstance(key, Response):
        return key
    s = session()
    if form.get("grant_type") == "authorization_code":
        if not form.get("code"):
            return oauth_error("authorization_code_not_supplied")
        code = s.get(OAuthCode, form["code"])
        if code is None or as_utc(code.expires_at) <= utcnow():
            return oauth_error("invalid_authorization_code")
        if code.developer_key_id != key.id:
            return oauth_error("incorrect_client")
        s.delete(code)  # single use
        token = ApiToken(
            token=_new_token_value(),
            platform_id=g.platform.id,
            user_id=code.user_id,
            developer_key_id=key.id,
            scopes_json=code.scopes_json,
            refresh_token=f"1~{secrets.token_urlsafe(48)}",
            expires_at=utcnow() + timedelta(seconds=key.token_lifetime),
        )
        s.add(token)
        s.commit()
        return _token_json(token, s.get_one(User, token.user_id), True, key.token_lifetime)
    if not form.get("refresh_token"):
        return oauth_error("refresh_token_not_supplied")
    old = s.scalars(select(ApiToken).where(ApiToken.refresh_token == form["refresh_token"])).first()
    if old is None or old.platform_id != g.platform.id:
        return oauth_error("invalid_refresh_token")
    if old.developer_key_id != key.id:
        return oauth_error("incorrect_client")
    # Canvas regenerates the access token of the same record: the refresh token stays.
    fresh = ApiToken(
        token=_new_token_value(),
        platform_id=old.platform_id,
        user_id=old.user_id,
        developer_key_id=old.developer_key_id,
        scopes_json=old.scopes_json,
        expires_at=utcnow() + timedelta(seconds=key.token_lifetime),
        bucket=old.bucket,
        capacity=old.capacity,
        cost=old.cost,
        leak=old.leak,
        throttled=old.throttled,
    )
    refresh = old.refresh_token
    s.delete(old)
    s.flush()
    fresh.refresh_token = refresh
    s.add(fresh)
    s.commit()
    return _token_json(fresh, s.get_one(User, fresh.user_id), False, key.token_lifetime)


@bp.route("/login/oauth2/token", methods=["DELETE"], endpoint="canvas_token_delete")
@only("canvas")
def delete_token() -> Response:
    """Log out: delete the bearer's access token (and with it the refresh token)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        resp = jsonify(
            {"message": "can't delete OAuth access token when not using an OAuth access token"}
        )
        resp.status_code = 400
        return resp
    s = session()
    token = s.get(ApiToken, header[7:])
    if token is None or token.platform_id != g.platform.id:
        resp = jsonify({"errors": [{"message": "Invalid access token."}]})
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Bearer realm="canvas-lms"'
        return resp
    s.delete(token)
    s.commit()
    return jsonify({})


def scope_of(rule: str, method: str) -> str:
    """Canvas's scope string of an API route: ``url:GET|/api/v1/courses/:course_id/…``."""
    path = rule[rule.index("/api/v1/") :]
    for flask_part, canvas_part in (
        ("<course_ref>", ":course_id"),
        ("<user_ref>", ":id"),
        ("<int:module_id>", ":module_id"),
    ):
        path = path.replace(flask_part, canvas_part)
    return f"url:{method}|{path}"


@bp.route("/accounts/site_admin/developer_keys", methods=["GET", "POST"])
@only("canvas")
def developer_keys() -> Any:
    """Admin > Developer Keys, in one page: create an API key (redirect URI, Enforce Scopes
    and its scopes), turn keys on and off, and add a module with a requirement to a course."""
    from lti.sandbox import seed

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    s, form, message = session(), request.form, None
    if request.method == "POST":
        action = form.get("action")
        if action == "create":
            client_id, _secret = seed.create_developer_key(
                app,
                g.platform.slug,
                form.get("redirect_uri", "").strip(),
                name=form.get("name", "").strip() or "API key",
                scopes=form.get("scopes", "").split(),
                require_scopes=form.get("require_scopes") == "on",
            )
            message = f"Developer key {client_id} created (state ON)."
        elif action == "state":
            key = _key(form.get("client_id"), active_only=False)
            if key is not None:
                key.active = form.get("active") == "1"
                s.commit()
                message = f"Developer key {key.client_id} {'ON' if key.active else 'OFF'}."
        elif action == "module":
            line_item = s.get_one(LineItem, int(form["line_item"]))
            seed.add_module(
                app,
                g.platform.slug,
                int(form["course"]),
                form.get("name", "").strip() or "Module",
                [
                    (
                        line_item.label,
                        line_item.id,
                        "min_score",
                        float(form.get("min_score") or 0),
                    )
                ],
            )
            message = "Module added."
        s.commit()  # a fresh read: the seed helpers wrote through sessions of their own
    keys = s.scalars(
        select(DeveloperKey)
        .where(DeveloperKey.platform_id == g.platform.id)
        .order_by(DeveloperKey.id)
    ).all()
    courses = s.scalars(select(Course).where(Course.platform_id == g.platform.id)).all()
    columns = s.scalars(
        select(LineItem).where(LineItem.course_id.in_([c.id for c in courses]))
    ).all()
    return render_template(
        "sandbox/developer_keys.html",
        platform=g.platform,
        keys=keys,
        courses=courses,
        columns=columns,
        message=message,
    )
