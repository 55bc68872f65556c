"""Helpers shared by the API modules: request bodies, lookups, paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, request
from sqlalchemy import Select, func, select

from app.api.auth import ApiError, check_tenant
from app.api.validation import checked_body
from app.database import by_public_id
from app.extensions import db


def body() -> dict[str, Any]:
    """The JSON object of the request, checked against the route's schema (once).

    The blueprint checks it before the view runs; a public route that authenticates in its
    view (a signed request) gets it checked here, after that authentication.
    """
    if "api_body" not in g:
        view: Any = current_app.view_functions[request.endpoint or ""]
        route = view.route
        g.api_body = checked_body(request.get_data(), route.request or {"type": "object"})
    return g.api_body


def query_arg(name: str, default: Any = None) -> Any:
    """A declared query parameter, converted and bounded by its schema (or ``default``)."""
    return g.api_query.get(name, default)


def get_owned(model: type, public_id: str, registration_of: Any) -> Any:
    """The row with ``public_id`` if the key's registration may see it (else 404)."""
    row = by_public_id(model, public_id)
    if row is None:
        raise ApiError(404, "not_found", f"no {model.__name__.lower()} {public_id}")
    check_tenant(registration_of(row))
    return row


def scoped_registration() -> int | None:
    """The registration a key is limited to (None for admin keys)."""
    return g.api_key.registration_id


def scoped(query: Select, registration_column: Any) -> Select:
    """``query`` limited to the rows whose ``registration_column`` is the key's registration
    (admin keys see every tenant): the one tenancy filter of the API's lists."""
    registration_id = scoped_registration()
    return query if registration_id is None else query.where(registration_column == registration_id)


def paged(query: Select, serialize: Any) -> tuple[list[Any], int, dict[str, str]]:
    """One page of ``query`` (``?page=1&per_page=100``, at most 1000) with paging headers."""
    page, per_page = g.api_query.get("page", 1), g.api_query.get("per_page", 100)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    headers = {"X-Total-Count": str(total)}
    if page * per_page < total:
        # Encoded, so nothing of the client's query (a CR or LF) reaches the header as is.
        query_string = urlencode(
            [
                *(
                    (k, v)
                    for k, v in request.args.items(multi=True)
                    if k not in ("page", "per_page")
                ),
                ("page", page + 1),
                ("per_page", per_page),
            ]
        )
        headers["Link"] = f'<{request.base_url}?{query_string}>; rel="next"'
    return [serialize(r) for r in rows], 200, headers
