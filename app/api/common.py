"""Helpers shared by the API modules: request bodies, lookups, paging."""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import Select, func, select

from app.api.auth import ApiError, check_tenant
from app.extensions import db


def body() -> dict[str, Any]:
    """The JSON object of the request, or ApiError(400)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "send a JSON object (Content-Type: application/json)")
    return data


def get_owned(model: type, public_id: str, registration_of: Any) -> Any:
    """The row with ``public_id`` if the key's registration may see it (else 404)."""
    row = db.session.scalar(select(model).where(model.public_id == public_id))
    if row is None:
        raise ApiError(404, "not_found", f"no {model.__name__.lower()} {public_id}")
    check_tenant(registration_of(row))
    return row


def scoped_registration() -> int | None:
    """The registration a key is limited to (None for admin keys)."""
    return g.api_key.registration_id


def paged(query: Select, serialize: Any) -> tuple[list[Any], int, dict[str, str]]:
    """One page of ``query`` (``?page=1&per_page=100``, at most 1000) with paging headers."""
    try:
        page = max(1, int(request.args.get("page", 1)))
        per_page = min(1000, max(1, int(request.args.get("per_page", 100))))
    except ValueError:
        raise ApiError(400, "bad_request", "page and per_page must be integers") from None
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    headers = {"X-Total-Count": str(total)}
    if page * per_page < total:
        args = {**request.args, "page": page + 1, "per_page": per_page}
        query_string = "&".join(f"{k}={v}" for k, v in args.items())
        headers["Link"] = f'<{request.base_url}?{query_string}>; rel="next"'
    return [serialize(r) for r in rows], 200, headers
