"""The platform blueprint (``/<slug>/…``) and what every view of it needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from lti.sandbox import operations as ops
from lti.sandbox.db import session
from lti.sandbox.flavours import flavour_of
from lti.sandbox.flavours.base import issuer
from lti.sandbox.models import Tool

bp = Blueprint("sandbox", __name__, url_prefix="/<slug>")


@bp.url_value_preprocessor
def _load_platform(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    slug = (values or {}).pop("slug", None)
    platform = ops.get_platform(session(), slug) if slug else None
    if platform is None:
        abort(404, description=f"No platform at /{slug}")
    g.platform = platform
    g.flavour = flavour_of(platform.flavour)


@bp.url_defaults
def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" not in values and "platform" in g:
        values["slug"] = g.platform.slug


def base_url() -> str:
    """The sandbox's public origin (configured, so URLs match what the tool registered)."""
    return str(current_app.config["SANDBOX_BASE_URL"]).rstrip("/")


def iss() -> str:
    """The current platform's issuer."""
    return issuer(base_url(), g.platform)


def only(flavour: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a route only on platforms of ``flavour`` (URL shapes are per product)."""

    def deco(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.platform.flavour != flavour:
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return deco


def service_error(status: int, message: str) -> Response:
    """An error of a service endpoint in the product's style."""
    if g.platform.flavour == "canvas":
        kind = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            412: "precondition_failed",
            415: "unsupported_media_type",
            422: "unprocessable_entity",
        }.get(status, "error")
        resp = jsonify({"errors": {"type": kind, "message": message}})
    else:
        # Moodle puts the reason in the status line and answers an empty body; the text
        # here helps whoever reads the test output.
        resp = Response(message, mimetype="text/plain")
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="sandbox", error="invalid_token"'
    return resp


class ServiceAuth:
    """The tool behind a bearer token, with its granted scopes."""

    def __init__(self, tool: Tool, scopes: set[str]) -> None:
        self.tool = tool
        self.scopes = scopes


def bearer(any_of: tuple[str, ...]) -> ServiceAuth | Response:
    """Check the bearer token: 401 without a live token of this platform, 403 without one of
    ``any_of`` among its scopes."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return service_error(401, "Missing bearer access token.")
    row = ops.lookup_access_token(session(), token.strip())
    if row is None or row.tool.platform_id != g.platform.id or not row.tool.active:
        return service_error(401, "Invalid or expired access token.")
    scopes = set(row.scopes.split())
    if not scopes.intersection(any_of):
        return service_error(403, "The access token does not grant this service.")
    return ServiceAuth(row.tool, scopes)
