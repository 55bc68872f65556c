"""Checking a platform's OpenID configuration before the tool registers with it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from app import outbound
from lti.errors import RegistrationFailed

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
REQUIRED_CONFIGURATION = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
)
# Instructure-hosted Canvas uses these issuers for every school, while the configuration URL
# is on the school's own *.instructure.com host: the one documented exception to the match.
CANVAS_CLOUD_ISSUERS = {
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
}


def check_url(url: str, what: str, status: int = 502) -> str:
    """Refuse anything but an absolute http(s) URL without credentials in it.

    ``status`` is 400 for a URL we were given, 502 for one the platform announced.
    """
    try:
        return outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise RegistrationFailed(
            "invalid_url",
            _l("The %(what)s address is refused: %(detail)s.", what=what, detail=str(exc)),
            status,
        ) from exc


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


def issuer_matches(issuer: str, configuration_url: str) -> bool:
    """Does the configuration URL belong to the issuer (same origin), as the spec requires?"""
    if _origin(issuer) == _origin(configuration_url):
        return True
    host = _origin(configuration_url)[1]
    return (
        issuer.rstrip("/") in CANVAS_CLOUD_ISSUERS
        and configuration_url.startswith("https://")
        and host.endswith(".instructure.com")
    )


def check_configuration(config: dict[str, Any], configuration_url: str) -> dict[str, Any]:
    """``config`` if it is a usable LTI platform's configuration read from
    ``configuration_url``; else a :class:`RegistrationFailed` saying what is wrong."""
    missing = [
        name
        for name in REQUIRED_CONFIGURATION
        if not isinstance(config.get(name), str) or not config[name]
    ]
    if missing:
        raise RegistrationFailed(
            "configuration_incomplete",
            _l("The LMS's OpenID configuration lacks %(names)s.", names=", ".join(missing)),
        )
    for name in REQUIRED_CONFIGURATION:
        check_url(config[name], name)
    if not issuer_matches(config["issuer"], configuration_url):
        raise RegistrationFailed(
            "issuer_mismatch",
            _l(
                "The OpenID configuration at %(url)s names the issuer %(issuer)s, which is not "
                "the same site: refused, as the LTI Dynamic Registration specification "
                "requires.",
                url=configuration_url,
                issuer=config["issuer"],
            ),
            hint=_l("The LMS must serve its OpenID configuration from its issuer's address."),
        )
    if not isinstance(config.get(PLATFORM_CONFIGURATION), dict):
        raise RegistrationFailed(
            "not_lti_platform",
            _l(
                "The OpenID configuration has no LTI platform configuration: this is not an "
                "LTI 1.3 platform."
            ),
        )
    auth_methods = config.get("token_endpoint_auth_methods_supported")
    if isinstance(auth_methods, list) and "private_key_jwt" not in auth_methods:
        raise RegistrationFailed(
            "unsupported_platform",
            _l(
                "The LMS does not accept private_key_jwt client authentication, which LTI 1.3 "
                "services require."
            ),
        )
    return config
