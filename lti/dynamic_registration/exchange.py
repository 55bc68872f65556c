"""One request to the platform during dynamic registration, and each way it can fail."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from flask_babel import lazy_gettext as _l

from app import outbound
from lti.errors import RegistrationFailed

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds, for each request to the platform
MAX_RESPONSE_BYTES = 1_000_000  # an OpenID configuration is a few kB; refuse floods
HINT_RETRY = _l("Start the registration again from the LMS; the registration link is single-use.")
# The two requests of the handshake, as the failures below name them (``what``).
OPENID_CONFIGURATION = _l("OpenID configuration")
REGISTRATION = _l("registration")


def platform_session(timeout: float) -> requests.Session:
    """A guarded session for the platform's JSON endpoints. Redirects are not followed: the
    issuer check holds for the URL actually read."""
    session = outbound.session(
        total_timeout=timeout,
        read_timeout=timeout,
        max_bytes=MAX_RESPONSE_BYTES,
        max_redirects=0,
    )
    session.headers["Accept"] = "application/json"
    return session


def request_json(
    session: requests.Session,
    method: str,
    url: str,
    what: str,
    *,
    token: str | None,
    timeout: float,
    given: bool = False,
    **kwargs: Any,
) -> dict[str, Any]:
    """One request to the platform (with the registration ``token`` if any); its JSON object
    body, or a specific failure. ``given`` says the URL came from the LMS admin's link, not
    from the platform's configuration (a refusal of it is the request's fault: 400).

    Failures name the status and content type of the answer, never its body, and every
    way of not getting an answer reads the same (a closed port, a filtered one and a slow
    server are not told apart): the page must not become a probe of other servers.
    """
    headers = dict(kwargs.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = session.request(method, url, headers=headers, allow_redirects=False, **kwargs)
    except outbound.OutboundRefused as exc:
        raise RegistrationFailed(
            "address_refused",
            _l(
                "Badgebridge does not send the %(what)s request to %(url)s: %(detail)s.",
                what=what,
                url=url,
                detail=str(exc),
            ),
            400 if given else 502,
            _l(
                "The LMS must be reachable at a public address, unless this Badgebridge "
                "allows private networks."
            ),
        ) from exc
    except outbound.ResponseTooLarge as exc:
        raise RegistrationFailed(
            "response_too_large",
            _l(
                "The %(what)s answer was longer than %(limit)s bytes.",
                what=what,
                limit=MAX_RESPONSE_BYTES,
            ),
        ) from exc
    except requests.RequestException as exc:
        log.warning("dynamic registration: %s %s failed: %s", method, url, exc)
        raise RegistrationFailed(
            "platform_unreachable",
            _l(
                "Badgebridge got no answer to the %(what)s request at %(url)s (within "
                "%(seconds)s seconds).",
                what=what,
                url=url,
                seconds=f"{timeout:g}",
            ),
            502,
            _l(
                "Check that the LMS's address is reachable from Badgebridge's server, then "
                "start the registration again from the LMS."
            ),
        ) from exc
    if response.status_code in (401, 403):
        raise RegistrationFailed(
            "registration_token_rejected",
            _l(
                "The LMS refused the registration token on the %(what)s request (HTTP "
                "%(status)s): it may have expired or been used already.",
                what=what,
                status=response.status_code,
            ),
            401,
            HINT_RETRY,
            title=_l("The registration link has expired"),
        )
    answer = outbound.describe(response)
    if not 200 <= response.status_code < 300:
        log.warning("platform answered %s %s with %s", method, url, answer)
        raise RegistrationFailed(
            "platform_error",
            _l("The LMS answered the %(what)s request with %(answer)s.", what=what, answer=answer),
            502,
            HINT_RETRY,
        )
    try:
        data = json.loads(response.content)
    except ValueError as exc:
        raise RegistrationFailed(
            "invalid_json",
            _l(
                "The LMS's %(what)s answer is not valid JSON (%(answer)s).",
                what=what,
                answer=answer,
            ),
        ) from exc
    if not isinstance(data, dict):
        raise RegistrationFailed(
            "invalid_json", _l("The LMS's %(what)s answer is not a JSON object.", what=what)
        )
    return data
