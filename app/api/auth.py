"""Bearer API keys: creation, authentication and the tenancy rule."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.api.models import ApiKey, hash_secret
from app.extensions import db
from app.models.base import utcnow


class ApiError(Exception):
    """An API error answered as ``{"error": code, "message": text, "field": name}``.

    ``code`` is stable (scripts branch on it); ``field`` names the offending input (a JSON
    pointer into the body, or a query or path parameter), or is None.
    """

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> tuple[dict[str, Any], int]:
        """The JSON answer of this error."""
        return {"error": self.code, "message": self.message, "field": self.field}, self.status

    @classmethod
    def from_http(cls, exc: HTTPException) -> ApiError:
        """The API form of a werkzeug error (404, 405, 413 …): its name as the code."""
        return cls(
            exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or ""
        )


def create_key(registration_id: int | None = None, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and only its hash is stored."""
    secret = "bb_" + secrets.token_urlsafe(32)
    key = ApiKey(registration_id=registration_id, name=name, secret_hash=hash_secret(secret))
    db.session.add(key)
    db.session.commit()
    return key, secret


def authenticate() -> ApiKey:
    """The API key of the current request, or ApiError(401)."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <API key>")
    key = db.session.scalar(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret.strip())))
    if key is None or key.revoked_at is not None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    key.last_used_at = utcnow()
    g.api_key = key
    return key


def check_tenant(registration_id: int | None) -> None:
    """Refuse a row of another registration; rows are hidden as 404, not revealed by 403."""
    key: ApiKey = g.api_key
    if not key.is_admin and registration_id != key.registration_id:
        raise ApiError(404, "not_found", "no such resource")
