"""LTI Dynamic Registration 1.0, the tool's side, on top of pylti1p3's ``DynamicRegistration``.

The LMS opens ``/lti/register?openid_configuration=…&registration_token=…`` (Moodle in a
dialog, Canvas in an iframe). We read the platform's OpenID configuration, check it, POST our
client registration to its ``registration_endpoint`` and store the answer as a
:class:`~app.models.Registration` (pending until an admin approves it, unless
``LTI_REGISTRATION_AUTO_APPROVE``). Run again for a registration the tool already holds, it
changes nothing: the new endpoints and keys wait as a :class:`~app.models.RegistrationChange`
that an admin approves or rejects in the console (auto-approval covers new registrations only).
Every request goes through the guarded client (:mod:`app.outbound`).

pylti1p3 gives the shape of the registration request; this module adds what it leaves out:
the registration token on the configuration GET (Canvas requires it), timeouts and a size cap
on every request, http(s)-only URLs, the issuer/URL match the spec requires, scopes narrowed
to what the platform offers, Canvas's placements and privacy level, and an error for each way
the handshake can fail.

Platforms differ on deployments: Moodle returns the deployment id (its tool type id) in the
tool-configuration claim of the answer; Canvas does not, its deployment id first appears at
launch. :func:`adopt_deployment` lets the launch path accept that first deployment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from pylti1p3.dynamic_registration import DynamicRegistration
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import outbound
from app.extensions import db
from app.models import Deployment, Registration, RegistrationSource, RegistrationStatus
from lti import canvas_config
from lti.registrations import (
    PlatformSpec,
    RegistrationError,
    propose_change,
    save_platform,
)

log = logging.getLogger(__name__)

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"
CANVAS_TOOL_ID = "https://canvas.instructure.com/lti/tool_id"

REQUIRED_CONFIGURATION = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
)
TOOL_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
DEFAULT_TIMEOUT = 10.0  # seconds, for each request to the platform
MAX_RESPONSE_BYTES = 1_000_000  # an OpenID configuration is a few kB; refuse floods
# Instructure-hosted Canvas uses these issuers for every school, while the configuration URL
# is on the school's own *.instructure.com host: the one documented exception to the match.
CANVAS_CLOUD_ISSUERS = {
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
}

HINT_RETRY = "Start the registration again from the LMS; the registration link is single-use."


@dataclass
class RegistrationFailed(Exception):
    """Dynamic registration could not complete; rendered as a readable error page."""

    code: str
    message: str
    status: int = 502
    hint: str = ""
    title: str = "The registration did not complete"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class ToolUrls:
    """The tool's URLs as an LMS must see them (from ``PUBLIC_BASE_URL``)."""

    base: str
    login: str
    launch: str
    jwks: str
    register: str
    canvas_json: str
    logo: str

    @classmethod
    def from_base(cls, base: str) -> ToolUrls:
        base = base.rstrip("/")
        return cls(
            base=base,
            login=f"{base}/lti/login",
            launch=f"{base}/lti/launch",
            jwks=f"{base}/lti/jwks.json",
            register=f"{base}/lti/register",
            canvas_json=f"{base}/lti/canvas.json",
            logo=f"{base}/lti/static/badgebridge-logo.svg",
        )


def tool_urls() -> ToolUrls:
    """The tool's URLs for the running application."""
    return ToolUrls.from_base(current_app.config["PUBLIC_BASE_URL"])


@dataclass(frozen=True)
class RegistrationOutcome:
    """What a completed registration produced, for the page the LMS admin sees."""

    registration_id: int
    issuer: str
    client_id: str
    status: str
    created: bool
    product_family: str
    deployment_id: str | None
    requested_scopes: list[str] = field(default_factory=list)
    granted_scopes: list[str] = field(default_factory=list)
    # A known registration is never changed here: its new details wait for an admin.
    change_pending: bool = False

    @property
    def missing_scopes(self) -> list[str]:
        """Scopes we asked for that the platform did not grant."""
        return [s for s in self.requested_scopes if s not in self.granted_scopes]


def check_url(url: str, what: str, status: int = 502) -> str:
    """Refuse anything but an absolute http(s) URL without credentials in it.

    ``status`` is 400 for a URL we were given, 502 for one the platform announced.
    """
    try:
        return outbound.check_url(url)
    except outbound.OutboundRefused as exc:
        raise RegistrationFailed("invalid_url", f"The {what} is refused: {exc}.", status) from exc


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


class ToolDynamicRegistration(DynamicRegistration):
    """One registration handshake with one platform."""

    client_name = canvas_config.TOOL_TITLE
    description = canvas_config.TOOL_DESCRIPTION

    def __init__(
        self,
        configuration_url: str,
        registration_token: str | None,
        urls: ToolUrls,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._configuration_url = check_url(configuration_url, "openid_configuration URL", 400)
        self._token = registration_token or None
        self._urls = urls
        self._timeout = timeout
        self._platform: dict[str, Any] = {}

    # pylti1p3's hooks: what the tool is.
    def get_request_session(self) -> requests.Session:
        # Redirects are not followed: the issuer check holds for the URL actually read.
        session = outbound.session(
            total_timeout=self._timeout,
            read_timeout=self._timeout,
            max_bytes=MAX_RESPONSE_BYTES,
            max_redirects=0,
        )
        session.headers["Accept"] = "application/json"
        return session

    def get_openid_configuration_endpoint(self) -> str:
        return self._configuration_url

    def get_registration_token(self) -> str | None:  # type: ignore[override]
        return self._token

    def get_initiate_login_uri(self) -> str:
        return self._urls.login

    def get_jwks_uri(self) -> str:
        return self._urls.jwks

    def get_redirect_uris(self) -> list[str]:
        return [self._urls.launch]

    def get_domain(self) -> str:
        return canvas_config.domain_of(self._urls.launch)

    def get_target_link_uri(self) -> str:
        return self._urls.launch

    def get_logo_uri(self) -> str:
        return self._urls.logo

    def get_claims(self) -> list[str]:
        return list(TOOL_CLAIMS)

    # What the tool asks of this platform.
    @property
    def _platform_conf(self) -> dict[str, Any]:
        return self._platform.get(PLATFORM_CONFIGURATION) or {}

    @property
    def is_canvas(self) -> bool:
        return self._platform_conf.get("product_family_code") == "canvas"

    def get_scopes(self) -> list[str]:
        """Our scopes, narrowed to the platform's ``scopes_supported`` when it lists them."""
        supported = self._platform.get("scopes_supported")
        if not isinstance(supported, list):
            return list(canvas_config.TOOL_SCOPES)
        return [s for s in canvas_config.TOOL_SCOPES if s in supported]

    def get_messages(self) -> list[dict[str, Any]]:
        """Resource link and deep linking, each if the platform supports it; Canvas placements."""
        offered: dict[str, list[str] | None] = {}
        for entry in self._platform_conf.get("messages_supported") or []:
            if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                offered[entry["type"]] = entry.get("placements")
        messages = []
        for message_type in MESSAGE_TYPES:
            if offered and message_type not in offered:
                continue
            message: dict[str, Any] = {
                "type": message_type,
                "target_link_uri": self._urls.launch,
                "label": canvas_config.TOOL_TITLE,
            }
            if self.is_canvas:
                message["placements"] = canvas_config.placements_for(
                    message_type, offered.get(message_type)
                )
                message["icon_uri"] = self._urls.logo
            messages.append(message)
        return messages

    def lti_registration_data(self) -> dict[str, Any]:
        data = super().lti_registration_data()
        data["client_uri"] = self._urls.base
        tool = data[TOOL_CONFIGURATION]
        if self.is_canvas:
            # Without these Canvas registers an anonymous tool: no names, no emails.
            tool[CANVAS_PRIVACY_LEVEL] = canvas_config.PRIVACY_LEVEL
            tool[CANVAS_TOOL_ID] = canvas_config.TOOL_ID
            tool["custom_parameters"] = dict(canvas_config.CUSTOM_FIELDS)
        return data

    # The handshake.
    def _request_json(
        self, session: requests.Session, method: str, url: str, what: str, **kwargs: Any
    ) -> dict[str, Any]:
        """One request to the platform; its JSON object body, or a specific failure.

        Failures name the status and content type of the answer, never its body, and every
        way of not getting an answer reads the same (a closed port, a filtered one and a slow
        server are not told apart): the page must not become a probe of other servers.
        """
        headers = dict(kwargs.pop("headers", {}))
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = session.request(
                method, url, headers=headers, allow_redirects=False, **kwargs
            )
        except outbound.OutboundRefused as exc:
            raise RegistrationFailed(
                "address_refused",
                f"Badgebridge does not send the {what} request to {url}: {exc}.",
                400 if url == self._configuration_url else 502,
                "The LMS must be reachable at a public address, unless this Badgebridge "
                "allows private networks.",
            ) from exc
        except outbound.ResponseTooLarge as exc:
            raise RegistrationFailed(
                "response_too_large",
                f"The {what} answer was longer than {MAX_RESPONSE_BYTES} bytes.",
            ) from exc
        except requests.RequestException as exc:
            log.warning("dynamic registration: %s %s failed: %s", method, url, exc)
            raise RegistrationFailed(
                "platform_unreachable",
                f"Badgebridge got no answer to the {what} request at {url} (within "
                f"{self._timeout:g} seconds).",
                502,
                "Check that the LMS's address is reachable from Badgebridge's server, then "
                "start the registration again from the LMS.",
            ) from exc
        if response.status_code in (401, 403):
            raise RegistrationFailed(
                "registration_token_rejected",
                f"The LMS refused the registration token on the {what} request "
                f"(HTTP {response.status_code}): it may have expired or been used already.",
                401,
                HINT_RETRY,
                title="The registration link has expired",
            )
        if not 200 <= response.status_code < 300:
            log.warning("platform answered %s %s with %s", method, url, outbound.describe(response))
            raise RegistrationFailed(
                "platform_error",
                f"The LMS answered the {what} request with {outbound.describe(response)}.",
                502,
                HINT_RETRY,
            )
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise RegistrationFailed(
                "invalid_json",
                f"The LMS's {what} answer is not valid JSON ({outbound.describe(response)}).",
            ) from exc
        if not isinstance(data, dict):
            raise RegistrationFailed(
                "invalid_json", f"The LMS's {what} answer is not a JSON object."
            )
        return data

    def get_openid_configuration(self) -> dict[str, Any]:
        """Fetch and check the platform's configuration (sending the token: Canvas needs it)."""
        with self.get_request_session() as session:
            config = self._request_json(
                session, "GET", self._configuration_url, "OpenID configuration"
            )
        missing = [
            name
            for name in REQUIRED_CONFIGURATION
            if not isinstance(config.get(name), str) or not config[name]
        ]
        if missing:
            raise RegistrationFailed(
                "configuration_incomplete",
                f"The LMS's OpenID configuration lacks {', '.join(missing)}.",
            )
        for name in REQUIRED_CONFIGURATION:
            check_url(config[name], f"platform's {name}")
        if not issuer_matches(config["issuer"], self._configuration_url):
            raise RegistrationFailed(
                "issuer_mismatch",
                f"The OpenID configuration at {self._configuration_url} names the issuer "
                f"{config['issuer']}, which is not the same site: refused, as the LTI Dynamic "
                "Registration specification requires.",
                hint="The LMS must serve its OpenID configuration from its issuer's address.",
            )
        if not isinstance(config.get(PLATFORM_CONFIGURATION), dict):
            raise RegistrationFailed(
                "not_lti_platform",
                "The OpenID configuration has no LTI platform "
                "configuration: this is not an LTI 1.3 platform.",
            )
        auth_methods = config.get("token_endpoint_auth_methods_supported")
        if isinstance(auth_methods, list) and "private_key_jwt" not in auth_methods:
            raise RegistrationFailed(
                "unsupported_platform",
                "The LMS does not accept private_key_jwt client "
                "authentication, which LTI 1.3 services require.",
            )
        return config

    def register(self) -> RegistrationOutcome:  # type: ignore[override]
        """Run the handshake and store the registration."""
        self._platform = self.get_openid_configuration()
        body = self.lti_registration_data()
        with self.get_request_session() as session:
            answer = self._request_json(
                session, "POST", self._platform["registration_endpoint"], "registration", json=body
            )
        return self.complete_registration(self._platform, answer, body)

    def complete_registration(  # type: ignore[override]
        self,
        openid_configuration: dict[str, Any],
        openid_registration: dict[str, Any],
        requested: dict[str, Any],
    ) -> RegistrationOutcome:
        client_id = openid_registration.get("client_id")
        if isinstance(client_id, int):
            client_id = str(client_id)
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationFailed(
                "no_client_id", "The LMS accepted the registration but returned no client_id."
            )
        tool_conf = openid_registration.get(TOOL_CONFIGURATION)
        deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None
        deployment_id = str(deployment_id) if deployment_id not in (None, "") else None
        requested_scopes = requested["scope"].split()
        granted = openid_registration.get("scope")
        granted_scopes = granted.split() if isinstance(granted, str) else requested_scopes
        return _save(
            openid_configuration,
            self._configuration_url,
            client_id,
            deployment_id,
            openid_registration,
            requested_scopes,
            granted_scopes,
        )


def _platform_name(config: dict[str, Any]) -> str:
    conf = config.get(PLATFORM_CONFIGURATION) or {}
    family = str(conf.get("product_family_code") or "LMS")
    account = conf.get("https://canvas.instructure.com/lti/account_name")
    where = account or urlsplit(config["issuer"]).netloc
    return f"{family.capitalize()} ({where})"[:200]


def _save(
    config: dict[str, Any],
    configuration_url: str,
    client_id: str,
    deployment_id: str | None,
    answer: dict[str, Any],
    requested_scopes: list[str],
    granted_scopes: list[str],
) -> RegistrationOutcome:
    """Create the registration and its source record; for a known one, propose the change."""
    issuer = config["issuer"]
    platform_conf = config.get(PLATFORM_CONFIGURATION) or {}
    proposal = {
        "auth_login_url": config["authorization_endpoint"],
        "auth_token_url": config["token_endpoint"],
        "key_set_url": config["jwks_uri"],
        # The spec's audience for client assertions; absent, the token endpoint is used.
        "auth_audience": config.get("authorization_server") or None,
        "key_set": None,
        "deployment_ids": [deployment_id] if deployment_id else [],
        "product_family": str(platform_conf.get("product_family_code") or ""),
        "source": {
            "openid_configuration_url": configuration_url[:1000],
            "platform_version": str(platform_conf.get("version") or "")[:100],
            "granted_scopes": granted_scopes,
            "tool_configuration": answer,
            "adopt_deployments": deployment_id is None,
        },
    }
    existing = db.session.scalars(
        select(Registration).filter_by(issuer=issuer, client_id=client_id)
    ).first()
    if existing is not None:
        change = propose_change(existing, proposal)
        return RegistrationOutcome(
            registration_id=existing.id,
            issuer=issuer,
            client_id=client_id,
            status=existing.status,
            created=False,
            product_family=existing.product_family,
            deployment_id=deployment_id,
            requested_scopes=requested_scopes,
            granted_scopes=granted_scopes,
            change_pending=change is not None,
        )
    auto_approve = bool(current_app.config.get("LTI_REGISTRATION_AUTO_APPROVE"))
    try:
        row = save_platform(
            PlatformSpec(
                issuer=issuer,
                client_id=client_id,
                auth_login_url=proposal["auth_login_url"],
                auth_token_url=proposal["auth_token_url"],
                key_set_url=proposal["key_set_url"],
                auth_audience=proposal["auth_audience"],
                deployment_ids=tuple(proposal["deployment_ids"]),
                name=_platform_name(config),
                product_family=proposal["product_family"],
                status=RegistrationStatus.ACTIVE if auto_approve else RegistrationStatus.PENDING,
            )
        )
    except RegistrationError as exc:
        raise RegistrationFailed("registration_invalid", str(exc)) from exc
    db.session.add(
        RegistrationSource(registration_id=row.id, method="dynamic", **proposal["source"])
    )
    db.session.commit()
    log.info(
        "dynamic registration created: issuer=%s client_id=%s deployment=%s status=%s",
        issuer,
        client_id,
        deployment_id,
        row.status,
    )
    return RegistrationOutcome(
        registration_id=row.id,
        issuer=issuer,
        client_id=client_id,
        status=row.status,
        created=True,
        product_family=row.product_family,
        deployment_id=deployment_id,
        requested_scopes=requested_scopes,
        granted_scopes=granted_scopes,
    )


def register_tool(
    configuration_url: str, registration_token: str | None, *, timeout: float = DEFAULT_TIMEOUT
) -> RegistrationOutcome:
    """Register the tool with the platform whose configuration is at ``configuration_url``."""
    return ToolDynamicRegistration(
        configuration_url, registration_token, tool_urls(), timeout
    ).register()


def adopt_deployment(issuer: str, client_id: str, deployment_id: str) -> bool:
    """Accept a launch's unknown deployment when its registration allows it; True if usable.

    For the launch path: call it when a launch's deployment is not found. It adds the
    deployment (active) only for an *active* registration whose platform did not name its
    deployment at registration (Canvas dynamic registration); then validate again. It returns
    True when the deployment exists and is active afterwards, False otherwise (unknown or
    non-active registration, a registration that does not adopt, a disabled deployment).
    """
    if not (issuer and client_id and deployment_id):
        return False
    registration = db.session.scalars(
        select(Registration).filter_by(
            issuer=issuer, client_id=client_id, status=RegistrationStatus.ACTIVE
        )
    ).first()
    if registration is None:
        return False
    known = db.session.scalars(
        select(Deployment).filter_by(registration_id=registration.id, deployment_id=deployment_id)
    ).first()
    if known is not None:
        return known.is_active
    source = db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)
    ).first()
    if source is None or not source.adopt_deployments:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                Deployment(
                    registration_id=registration.id,
                    deployment_id=deployment_id,
                    status=RegistrationStatus.ACTIVE,
                )
            )
    except IntegrityError:
        # A concurrent launch adopted it first; theirs is as good as ours.
        pass
    db.session.commit()
    log.info(
        "adopted deployment %s of registration %s (%s)", deployment_id, registration.id, issuer
    )
    return True
