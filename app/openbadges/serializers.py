"""Plain JSON forms of Open Badges rows shared by several users: the admin and integration
API returns them, and webhook events carry them, so neither reaches into the other."""

from __future__ import annotations

from typing import Any

from app.openbadges import documents, urls
from app.openbadges.models import Assertion


def assertion_json(assertion: Assertion) -> dict[str, Any]:
    """An award as the API shows it (and as ``badge.*`` webhook events carry it)."""
    links = urls.assertion_links(assertion.public_id)
    return {
        "id": assertion.public_id,
        "badge_id": assertion.badge.public_id,
        "recipient_email": assertion.recipient_email,
        "recipient_name": assertion.recipient_name,
        "issued_on": documents.iso(assertion.issued_on),
        "expires": documents.iso(assertion.expires_at) if assertion.expires_at else None,
        "revoked": assertion.revoked,
        "revocation_reason": assertion.revocation_reason,
        **{
            k: links[k]
            for k in ("ob2_assertion_url", "ob3_credential_url", "png_url", "svg_url", "verify_url")
        },
    }
