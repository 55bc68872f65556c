"""The assembled /api/v1/ blueprint: bearer API keys, JSON errors, routes from the registry.

Each product area is its own module of endpoints; importing it here registers its routes.
"""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException

from app.api.auth import ApiError, authenticate
from app.api.common import body
from app.api.registry import bp
from app.api.validation import checked_query, refuse_bad_params
from app.extensions import db
from app.openbadges.errors import OperationError


@bp.before_request
def _require_key() -> None:
    g.pop("api_body", None)  # g outlives a request when a test holds the app context
    view = current_app.view_functions.get(request.endpoint or "")
    route = getattr(view, "route", None)
    if route is None or not route.public:
        authenticate()
    # Input is checked before any view reads it: NUL or overlong ids and filters, then the
    # declared query parameters, then the body against the route's schema.
    refuse_bad_params([*(request.view_args or {}).items(), *request.args.items(multi=True)])
    if route is None:
        return
    g.api_query = checked_query(request.args, route.query_schemas())
    if route.request and not route.public:
        body()


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return exc.response()


@bp.errorhandler(OperationError)
def _operation_error(exc: OperationError):
    db.session.rollback()
    return ApiError(422, exc.code, str(exc)).response()


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return ApiError.from_http(exc).response()


from app.api import (  # noqa: E402, F401  (register routes)
    assertions,
    awards,
    badges,
    exports,
    grades,
    issuers,
    meta,
    people,
    webhooks,
)

__all__ = ["bp"]
