"""The assembled /api/v1/ blueprint: bearer API keys, JSON errors, routes from the registry.

Each product area is its own module of endpoints; importing it here registers its routes.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from app.api.auth import ApiError, authenticate
from app.api.registry import bp
from app.extensions import db
from app.openbadges.operations import OperationError


@bp.before_request
def _require_key() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    route = getattr(view, "route", None)
    if route is None or not route.public:
        authenticate()


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    return {"error": exc.code, "message": exc.message}, exc.status


@bp.errorhandler(OperationError)
def _operation_error(exc: OperationError):
    db.session.rollback()
    return {"error": exc.code, "message": str(exc)}, 422


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return {"error": (exc.name or "error").lower().replace(" ", "_"),
            "message": exc.description}, exc.code


from app.api import (  # noqa: E402, F401  (register routes)
    assertions,
    awards,
    badges,
    exports,
    grades,
    issuers,
    meta,
    webhooks,
)

__all__ = ["bp"]
