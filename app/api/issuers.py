"""Issuers over the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.api.common import body, get_owned, paged, scoped, scoped_registration
from app.api.registry import endpoint
from app.api.validation import text
from app.openbadges import issuers, urls
from app.openbadges.models import Issuer

ISSUER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "url": {"type": "string"},
        "email": {"type": "string"},
        "description": {"type": "string"},
        "ob2_profile_url": {"type": "string"},
        "ob3_profile_url": {"type": "string"},
    },
}
ISSUER_IN = {
    "type": "object",
    "required": ["name", "url", "email"],
    "properties": {
        "name": text(Issuer.name),
        "url": text(Issuer.url),
        "email": text(Issuer.email),
        "description": text(Issuer.description),
    },
}


def issuer_json(issuer: Issuer) -> dict[str, Any]:
    """The API form of an issuer."""
    return {
        "id": issuer.public_id,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "ob2_profile_url": urls.public_url(urls.ISSUER_OB2, issuer.public_id),
        "ob3_profile_url": urls.public_url(urls.ISSUER_OB3, issuer.public_id),
    }


@endpoint(
    "POST",
    "/issuers",
    "Create an issuer",
    tag="issuers",
    request=ISSUER_IN,
    response=ISSUER,
    status=201,
)
def create_issuer() -> tuple[dict[str, Any], int]:
    data = body()
    issuer = issuers.create_issuer(
        str(data.get("name", "")),
        str(data.get("url", "")),
        str(data.get("email", "")),
        description=str(data.get("description", "")),
        registration_id=scoped_registration(),
    )
    return issuer_json(issuer), 201


@endpoint(
    "GET",
    "/issuers",
    "List issuers",
    tag="issuers",
    response={"type": "array", "items": ISSUER},
    query=("page", "per_page"),
)
def list_issuers():
    return paged(scoped(select(Issuer).order_by(Issuer.id), Issuer.registration_id), issuer_json)


@endpoint("GET", "/issuers/<public_id>", "Get an issuer", tag="issuers", response=ISSUER)
def get_issuer(public_id: str) -> dict[str, Any]:
    return issuer_json(get_owned(Issuer, public_id, lambda i: i.registration_id))
