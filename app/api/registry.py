"""The API's route registry: one declaration makes both the Flask route and its OpenAPI entry.

Each area of the API is a module (``issuers``, ``badges``, ``assertions`` …) that declares
its endpoints with :func:`endpoint`; later areas (contexts, jobs, grade events, webhooks)
add modules the same way, and ``/api/v1/openapi.json`` describes them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

from app.api.validation import MAX_PARAM_CHARS, integer

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: The furthest page a list serves: with 1000 per page, ten million rows.
MAX_PAGE = 10_000
#: The schema of each query parameter a route may declare (by name, the same on every route).
QUERY_PARAMETERS: dict[str, dict[str, Any]] = {
    "page": integer(1, MAX_PAGE),
    "per_page": integer(1, 1000),
    "limit": integer(1, 500),
    "format": {"type": "string", "enum": ["csv", "json"]},
}
PARAMETER = {"type": "string", "maxLength": MAX_PARAM_CHARS}
ERROR = {
    "type": "object",
    "required": ["error", "message", "field"],
    "properties": {
        "error": {"type": "string", "description": "stable code, e.g. invalid, not_found"},
        "message": {"type": "string"},
        "field": {
            "type": ["string", "null"],
            "description": "the offending input: JSON pointer into the body, or parameter",
        },
    },
}


@dataclass(frozen=True)
class Route:
    """One endpoint as OpenAPI sees it."""

    method: str
    path: str  # Flask syntax: /badges/<public_id>
    summary: str
    tag: str
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    status: int = 200
    query: tuple[str, ...] = ()
    public: bool = False  # no API key needed
    errors: tuple[int, ...] = field(default=(401, 403, 404))

    def query_schemas(self) -> dict[str, dict[str, Any]]:
        """The schema of each query parameter this route reads."""
        return {name: QUERY_PARAMETERS.get(name, PARAMETER) for name in self.query}


ROUTES: list[Route] = []


def endpoint(
    method: str, path: str, summary: str, *, tag: str, **details: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as ``method path`` on the API blueprint and in the OpenAPI document."""
    route = Route(method.upper(), path, summary, tag, **details)

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES.append(route)
        bp.add_url_rule(path, endpoint=fn.__name__, view_func=fn, methods=[route.method])
        fn.route = route  # type: ignore[attr-defined]  # the auth hook reads ``public``
        return fn

    return decorator


def _openapi_path(path: str) -> str:
    return path.replace("<public_id>", "{id}").replace("<", "{").replace(">", "}")


def _operation_id(route: Route) -> str:
    """``get_courses_contexts_badges`` for GET /courses/<context>/badges."""
    slug = route.path.strip("/").replace("/", "_").replace("<", "").replace(">", "")
    return f"{route.method.lower()}_{slug}"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of every registered route."""
    error = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": _operation_id(route),
            "responses": {
                str(route.status): {
                    "description": "OK",
                    **(
                        {"content": {"application/json": {"schema": route.response}}}
                        if route.response
                        else {}
                    ),
                }
            },
        }
        for code in (400, 413, 422, 500, *route.errors):
            operation["responses"][str(code)] = {
                "description": "Error",
                "content": {"application/json": {"schema": error}},
            }
        if route.public:
            operation["security"] = []
        parameters = (
            [{"name": "id", "in": "path", "required": True, "schema": PARAMETER}]
            if "<public_id>" in route.path
            else []
        )
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in route.query_schemas().items()
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.request:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.request}},
            }
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Badgebridge API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
    }
