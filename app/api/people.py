"""One person's data over the API: export and erasure (admin keys only: they cross tenants)."""

from __future__ import annotations

from typing import Any

from flask import g

from app.api.auth import ApiError
from app.api.common import body, query_arg
from app.api.registry import endpoint
from app.audit import Actor
from app.privacy import operations
from app.privacy.operations import PersonNotFound

PERSON_IN = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string", "maxLength": 36, "description": "an LMS identity's id"},
        "email": {"type": "string", "maxLength": 320},
    },
}
ERASURE = {
    "type": "object",
    "properties": {
        k: {"type": "integer"}
        for k in ("awards_revoked", "awards_forgotten", "lms_identities_deleted", "emails_deleted")
    },
}
ERRORS = (401, 403, 404)


def _person(user_id: str | None, email: str | None) -> operations.Person:
    if not g.api_key.is_admin:
        raise ApiError(403, "forbidden", "only an admin key may export or erase a person")
    if not (user_id or email):
        raise ApiError(422, "invalid", "name the person by user_id or email", "user_id")
    try:
        return operations.find_person(user_id=user_id, email=email)
    except PersonNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


@endpoint(
    "GET",
    "/people/export",
    "Everything held about one person (by user_id or email)",
    tag="people",
    query=("user_id", "email"),
    errors=ERRORS,
    response={"type": "object"},
)
def export_person() -> dict[str, Any]:
    return operations.export_person(
        _person(query_arg("user_id"), query_arg("email")), Actor.from_request()
    )


@endpoint(
    "POST",
    "/people/erase",
    "Erase one person: revoke their awards and forget them",
    tag="people",
    request=PERSON_IN,
    response=ERASURE,
    errors=ERRORS,
)
def erase_person() -> dict[str, Any]:
    data = body()
    return operations.erase_person(
        _person(data.get("user_id"), data.get("email")), Actor.from_request()
    )
