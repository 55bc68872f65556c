"""Award pipeline over the API: a badge's preview, criteria checks for badge documents."""

from __future__ import annotations

from typing import Any

from app.api.auth import ApiError
from app.api.common import get_owned
from app.api.registry import endpoint
from app.awards import operations
from app.criteria import CriteriaError
from app.openbadges.models import Badge

ENTRY = {
    "type": "object",
    "properties": {
        "user_id": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "evidence": {"type": "array", "items": {"type": "string"}},
    },
}


def checked_criteria(
    doc: Any, context_id: int | None, badge_public_id: str | None = None
) -> dict[str, Any] | None:
    """A criteria document in canonical form, or a 422 naming the offending part."""
    try:
        return operations.check_criteria(doc, context_id, badge_public_id)
    except CriteriaError as exc:
        raise ApiError(422, "invalid_criteria", str(exc)) from None


@endpoint(
    "GET",
    "/badges/<public_id>/preview",
    "Who qualifies for a badge now",
    tag="badges",
    response={
        "type": "object",
        "properties": {
            "qualifies": {"type": "array", "items": ENTRY},
            "review": {"type": "array", "items": ENTRY},
            "close": {"type": "array", "items": ENTRY},
            "awarded": {"type": "integer"},
            "not_met": {"type": "integer"},
        },
    },
)
def preview(public_id: str) -> dict[str, Any]:
    badge = get_owned(Badge, public_id, lambda b: b.issuer.registration_id)
    try:
        return operations.preview(badge).as_dict()
    except CriteriaError as exc:
        raise ApiError(422, "invalid_criteria", str(exc)) from None
