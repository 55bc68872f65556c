"""Dynamic registration, the application's part: run the handshake
(:mod:`lti.dynamic_registration`) and store what the platform answered.

A new platform becomes a :class:`~app.models.Registration` (pending until an admin approves
it, unless ``LTI_REGISTRATION_AUTO_APPROVE``). Run again for a registration the tool already
holds, it changes nothing: the new endpoints and keys wait as a
:class:`~app.models.RegistrationChange` that an admin approves or rejects in the console
(auto-approval covers new registrations only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from app.audit import Actor
from app.extensions import db
from app.models import Registration, RegistrationSource, RegistrationStatus
from app.registrations.operations import (
    PlatformSpec,
    RegistrationError,
    propose_change,
    save_platform,
)
from lti.dynamic_registration.configuration import PLATFORM_CONFIGURATION
from lti.dynamic_registration.exchange import DEFAULT_TIMEOUT
from lti.dynamic_registration.handshake import Handshake, ToolDynamicRegistration
from lti.errors import RegistrationFailed
from lti.tool_urls import tool_urls

log = logging.getLogger(__name__)


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


def register_tool(
    configuration_url: str,
    registration_token: str | None,
    actor: Actor,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> RegistrationOutcome:
    """Register the tool with the platform whose configuration is at ``configuration_url``;
    what it saves or proposes is audited as ``actor``."""
    handshake = ToolDynamicRegistration(
        configuration_url, registration_token, tool_urls(), timeout
    ).register()
    return _save(handshake, actor)


def _platform_name(config: dict[str, Any]) -> str:
    conf = config.get(PLATFORM_CONFIGURATION) or {}
    family = str(conf.get("product_family_code") or "LMS")
    account = conf.get("https://canvas.instructure.com/lti/account_name")
    where = account or urlsplit(config["issuer"]).netloc
    return f"{family.capitalize()} ({where})"[:200]


def _save(handshake: Handshake, actor: Actor) -> RegistrationOutcome:
    """Create the registration and its source record; for a known one, propose the change."""
    config = handshake.configuration
    issuer, client_id = config["issuer"], handshake.client_id
    deployment_id = handshake.deployment_id
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
            "openid_configuration_url": handshake.configuration_url[:1000],
            "platform_version": str(platform_conf.get("version") or "")[:100],
            "granted_scopes": handshake.granted_scopes,
            "tool_configuration": handshake.answer,
            "adopt_deployments": deployment_id is None,
        },
    }
    existing = db.session.scalars(
        select(Registration).filter_by(issuer=issuer, client_id=client_id)
    ).first()
    if existing is not None:
        change = propose_change(existing, proposal, actor)
        return _outcome(existing, handshake, deployment_id, change_pending=change is not None)
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
            ),
            actor=actor,
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
    return _outcome(row, handshake, deployment_id, created=True)


def _outcome(
    row: Registration,
    handshake: Handshake,
    deployment_id: str | None,
    *,
    created: bool = False,
    change_pending: bool = False,
) -> RegistrationOutcome:
    return RegistrationOutcome(
        registration_id=row.id,
        issuer=row.issuer,
        client_id=row.client_id,
        status=row.status,
        created=created,
        product_family=row.product_family,
        deployment_id=deployment_id,
        requested_scopes=handshake.requested_scopes,
        granted_scopes=handshake.granted_scopes,
        change_pending=change_pending,
    )
