"""LinkedIn links: the add-to-profile form ("Licenses & certifications") and a post share.

Both are plain links (no LinkedIn script, no API key). The add-to-profile parameters are the
ones LinkedIn's "Add to Profile for Certifications" programme documents: ``startTask``,
``name``, ``organizationName`` (or ``organizationId``), ``issueYear``/``issueMonth``,
``expirationYear``/``expirationMonth``, ``certUrl`` and ``certId``. The learner's own name is
never part of either link.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
SHARE_OFFSITE = "https://www.linkedin.com/sharing/share-offsite/"


def add_to_profile_url(
    *,
    name: str,
    organization: str,
    issued_on: datetime,
    expires_at: datetime | None,
    cert_url: str,
    cert_id: str,
    organization_id: str | None = None,
) -> str:
    """The URL that opens LinkedIn's add-certification form pre-filled.

    ``organization_id`` (a LinkedIn company id) links the issuer's page when known; LinkedIn
    then ignores the free-text ``organizationName``, so only one of them is sent.
    """
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", name)]
    if organization_id:
        params.append(("organizationId", organization_id))
    else:
        params.append(("organizationName", organization))
    params += [("issueYear", str(issued_on.year)), ("issueMonth", str(issued_on.month))]
    if expires_at is not None:
        params += [
            ("expirationYear", str(expires_at.year)),
            ("expirationMonth", str(expires_at.month)),
        ]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{ADD_TO_PROFILE}?{urlencode(params)}"


def share_post_url(url: str) -> str:
    """LinkedIn's share dialog for a page; the preview comes from the page's Open Graph tags."""
    return f"{SHARE_OFFSITE}?{urlencode({'url': url})}"
