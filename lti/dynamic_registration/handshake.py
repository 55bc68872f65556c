"""The registration handshake with one platform: what the tool asks for, and the exchange.

Platforms differ on deployments: Moodle returns the deployment id (its tool type id) in the
tool-configuration claim of the answer; Canvas does not, its deployment id first appears at
launch (:func:`lti.registrations.adopt_deployment` lets the launch path accept it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from flask_babel import lazy_gettext as _l
from pylti1p3.dynamic_registration import DynamicRegistration

from lti import canvas_config
from lti.dynamic_registration.configuration import (
    PLATFORM_CONFIGURATION,
    check_configuration,
    check_url,
)
from lti.dynamic_registration.exchange import (
    DEFAULT_TIMEOUT,
    OPENID_CONFIGURATION,
    REGISTRATION,
    platform_session,
    request_json,
)
from lti.errors import RegistrationFailed
from lti.tool_urls import ToolUrls

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"
CANVAS_TOOL_ID = "https://canvas.instructure.com/lti/tool_id"
TOOL_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")


@dataclass(frozen=True)
class Handshake:
    """What a completed handshake learnt: the platform's checked configuration and its answer
    to the registration (the client id, the deployment id when it names one, the scopes)."""

    configuration: dict[str, Any]
    configuration_url: str
    client_id: str
    deployment_id: str | None
    answer: dict[str, Any]
    requested_scopes: list[str]
    granted_scopes: list[str]


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
        self._configuration_url = check_url(configuration_url, "openid_configuration", 400)
        self._token = registration_token or None
        self._urls = urls
        self._timeout = timeout
        self._platform: dict[str, Any] = {}

    # pylti1p3's hooks: what the tool is.
    def get_request_session(self) -> requests.Session:
        return platform_session(self._timeout)

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
        return request_json(
            session,
            method,
            url,
            what,
            token=self._token,
            timeout=self._timeout,
            given=url == self._configuration_url,
            **kwargs,
        )

    def get_openid_configuration(self) -> dict[str, Any]:
        """Fetch and check the platform's configuration (sending the token: Canvas needs it)."""
        with self.get_request_session() as session:
            config = self._request_json(
                session, "GET", self._configuration_url, OPENID_CONFIGURATION
            )
        return check_configuration(config, self._configuration_url)

    def register(self) -> Handshake:  # type: ignore[override]
        """Run the handshake; what the platform answered, for the caller to store."""
        self._platform = self.get_openid_configuration()
        body = self.lti_registration_data()
        with self.get_request_session() as session:
            answer = self._request_json(
                session, "POST", self._platform["registration_endpoint"], REGISTRATION, json=body
            )
        return self.complete_registration(self._platform, answer, body)

    def complete_registration(  # type: ignore[override]
        self,
        openid_configuration: dict[str, Any],
        openid_registration: dict[str, Any],
        requested: dict[str, Any],
    ) -> Handshake:
        client_id = openid_registration.get("client_id")
        if isinstance(client_id, int):
            client_id = str(client_id)
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationFailed(
                "no_client_id", _l("The LMS accepted the registration but returned no client_id.")
            )
        tool_conf = openid_registration.get(TOOL_CONFIGURATION)
        deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None
        deployment_id = str(deployment_id) if deployment_id not in (None, "") else None
        requested_scopes = requested["scope"].split()
        granted = openid_registration.get("scope")
        granted_scopes = granted.split() if isinstance(granted, str) else requested_scopes
        return Handshake(
            configuration=openid_configuration,
            configuration_url=self._configuration_url,
            client_id=client_id,
            deployment_id=deployment_id,
            answer=openid_registration,
            requested_scopes=requested_scopes,
            granted_scopes=granted_scopes,
        )
