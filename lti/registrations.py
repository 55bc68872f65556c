"""Operations on platform registrations and deployments (CLI, admin console, dynamic reg.)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import Deployment, Registration, RegistrationSource, RegistrationStatus


@dataclass(frozen=True)
class PlatformSpec:
    """Everything needed to trust launches from one platform client."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str | None = None
    key_set: dict[str, Any] | None = None
    auth_audience: str | None = None
    deployment_ids: tuple[str, ...] = ()
    name: str = ""
    product_family: str = ""
    status: str = RegistrationStatus.ACTIVE


def platform_hosts(registration: Registration) -> set[str]:
    """The hosts a registration knows its platform by: its issuer, its login, token and key set
    URLs, and the configuration URL dynamic registration started from (Canvas cloud: the
    school's own domain, while the issuer is canvas.instructure.com)."""
    source = db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)).first()
    urls = (registration.issuer, registration.auth_login_url, registration.auth_token_url,
            registration.key_set_url, source.openid_configuration_url if source else None)
    return {host for url in urls if url and (host := urlsplit(url).hostname)}


class RegistrationError(ValueError):
    """A registration is incomplete or inconsistent."""


def save_platform(spec: PlatformSpec) -> Registration:
    """Create or update the registration for (issuer, client_id) and add its deployments."""
    if not spec.issuer or not spec.client_id:
        raise RegistrationError("issuer and client_id are required")
    if not spec.auth_login_url or not spec.auth_token_url:
        raise RegistrationError("auth_login_url and auth_token_url are required")
    if not spec.key_set_url and not spec.key_set:
        raise RegistrationError("a key_set_url (or an inline key_set) is required")
    row = db.session.scalars(
        select(Registration).filter_by(issuer=spec.issuer, client_id=spec.client_id)
    ).first()
    if row is None:
        row = Registration(issuer=spec.issuer, client_id=spec.client_id, status=spec.status)
        db.session.add(row)
    row.auth_login_url = spec.auth_login_url
    row.auth_token_url = spec.auth_token_url
    row.auth_audience = spec.auth_audience
    row.key_set_url = spec.key_set_url
    row.key_set = spec.key_set
    row.name = spec.name or row.name or spec.issuer
    row.product_family = spec.product_family or row.product_family
    db.session.flush()
    known = {d.deployment_id for d in row.deployments}
    for deployment_id in spec.deployment_ids:
        if deployment_id not in known:
            row.deployments.append(Deployment(deployment_id=str(deployment_id)))
    from app import audit  # every way a platform gets registered passes here

    audit.record_registration("registration.saved", row)
    db.session.commit()
    return row


def import_pylti_config(data: dict[str, Any]) -> list[Registration]:
    """Import registrations from pylti1p3's JSON config format (issuer → one or a list)."""
    saved = []
    for issuer, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            saved.append(save_platform(PlatformSpec(
                issuer=issuer,
                client_id=str(entry["client_id"]),
                auth_login_url=entry["auth_login_url"],
                auth_token_url=entry["auth_token_url"],
                auth_audience=entry.get("auth_audience"),
                key_set_url=entry.get("key_set_url"),
                key_set=entry.get("key_set"),
                deployment_ids=tuple(str(d) for d in entry.get("deployment_ids", [])),
                name=entry.get("name", ""),
            )))
    return saved


def import_config_file(path: str | Path) -> list[Registration]:
    """Import a pylti1p3 ``config.json``; a missing file imports nothing."""
    path = Path(path)
    if not path.exists():
        return []
    return import_pylti_config(json.loads(path.read_text()))
