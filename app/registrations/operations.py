"""Saving platform registrations and deployments, audited (CLI, admin console, dynamic
registration), and the changes to them that wait for an admin."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.admin.models import ChangeStatus
from app.audit import Actor
from app.database import find_by_ref, retry_on_lock
from app.extensions import db
from app.models import (
    Deployment,
    Registration,
    RegistrationChange,
    RegistrationSource,
    RegistrationStatus,
)
from app.models.base import utcnow

log = logging.getLogger(__name__)


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


class RegistrationError(ValueError):
    """A registration is incomplete or inconsistent, or an admin's change to one was refused;
    the message says why, for a person."""


# What decides whom a registration trusts: where launches are signed from (keys), where
# tokens are fetched (token endpoint) and where logins go. A change to any of these is
# audited with its before and after, and a dynamic one waits for an admin.
TRUST_FIELDS = (
    "auth_login_url",
    "auth_token_url",
    "auth_audience",
    "key_set_url",
    "key_set",
    "deployments",
)


def key_set_summary(key_set: dict[str, Any] | None) -> str | None:
    """An inline key set as its key ids and a fingerprint: what a diff and the audit show."""
    if not key_set:
        return None
    keys = key_set.get("keys") if isinstance(key_set, dict) else None
    kids = sorted(str(k.get("kid", "?")) for k in keys or [] if isinstance(k, dict))
    digest = hashlib.sha256(json.dumps(key_set, sort_keys=True).encode()).hexdigest()[:16]
    return f"kid {', '.join(kids) or '(none)'}; sha256 {digest}"


def registration_data(row: Registration) -> dict[str, Any]:
    """What a registration's audit record keeps: the platform's endpoints, keys, status,
    deployments."""
    return {
        "name": row.name,
        "issuer": row.issuer,
        "client_id": row.client_id,
        "auth_login_url": row.auth_login_url,
        "auth_token_url": row.auth_token_url,
        "key_set_url": row.key_set_url,
        "auth_audience": row.auth_audience,
        "key_set": key_set_summary(row.key_set),
        "status": row.status,
        "deployments": sorted(f"{d.deployment_id}:{d.status}" for d in row.deployments),
    }


def record_registration(action: str, row: Registration, *, actor: Actor, **extra: Any) -> str:
    """Append a registration change by ``actor`` to the audit trail (no commit): its state
    after the change, and ``extra``. Every way a platform gets registered or changed passes
    here."""
    db.session.flush()  # a new registration needs its public id
    return audit.record(
        action,
        f"registration:{row.public_id}",
        {**registration_data(row), **extra},
        actor=actor,
        tenant=row.public_id,
    )


def trust_of(row: Registration) -> dict[str, Any]:
    """A registration's :data:`TRUST_FIELDS`, comparable and printable."""
    return {
        "auth_login_url": row.auth_login_url,
        "auth_token_url": row.auth_token_url,
        "auth_audience": row.auth_audience,
        "key_set_url": row.key_set_url,
        "key_set": key_set_summary(row.key_set),
        "deployments": sorted(d.deployment_id for d in row.deployments),
    }


def trust_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"from": old, "to": new}}`` for every trust field that differs."""
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in TRUST_FIELDS
        if before.get(name) != after.get(name)
    }


def save_platform(
    spec: PlatformSpec, *, actor: Actor, action: str = "registration.saved", **audit_extra: Any
) -> Registration:
    """Create or update the registration for (issuer, client_id) and add its deployments.

    Audited as ``action`` by ``actor`` with the registration's state after the change and,
    for an update, ``changes``: each trust field's before and after.
    """
    if not spec.issuer or not spec.client_id:
        raise RegistrationError(_("issuer and client_id are required"))
    if not spec.auth_login_url or not spec.auth_token_url:
        raise RegistrationError(_("auth_login_url and auth_token_url are required"))
    if not spec.key_set_url and not spec.key_set:
        raise RegistrationError(_("a key_set_url (or an inline key_set) is required"))
    row = db.session.scalars(
        select(Registration).filter_by(issuer=spec.issuer, client_id=spec.client_id)
    ).first()
    before = trust_of(row) if row is not None else None
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
    if before is not None:
        audit_extra["changes"] = trust_changes(before, trust_of(row))
    record_registration(action, row, actor=actor, **audit_extra)
    db.session.commit()
    return row


def import_pylti_config(data: dict[str, Any], actor: Actor) -> list[Registration]:
    """Import registrations from pylti1p3's JSON config format (issuer → one or a list)."""
    saved = []
    for issuer, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            saved.append(
                save_platform(
                    PlatformSpec(
                        issuer=issuer,
                        client_id=str(entry["client_id"]),
                        auth_login_url=entry["auth_login_url"],
                        auth_token_url=entry["auth_token_url"],
                        auth_audience=entry.get("auth_audience"),
                        key_set_url=entry.get("key_set_url"),
                        key_set=entry.get("key_set"),
                        deployment_ids=tuple(str(d) for d in entry.get("deployment_ids", [])),
                        name=entry.get("name", ""),
                    ),
                    actor=actor,
                )
            )
    return saved


def import_config_file(path: str | Path, actor: Actor) -> list[Registration]:
    """Import a pylti1p3 ``config.json``; a missing file imports nothing."""
    path = Path(path)
    if not path.exists():
        return []
    return import_pylti_config(json.loads(path.read_text()), actor)


def _proposed_trust(row: Registration, proposed: dict[str, Any]) -> dict[str, Any]:
    known = sorted(d.deployment_id for d in row.deployments)
    return {
        "auth_login_url": proposed["auth_login_url"],
        "auth_token_url": proposed["auth_token_url"],
        "auth_audience": proposed.get("auth_audience"),
        "key_set_url": proposed.get("key_set_url"),
        "key_set": key_set_summary(proposed.get("key_set")),
        "deployments": sorted(set(known) | set(proposed.get("deployment_ids") or [])),
    }


def change_diff(row: Registration, proposed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What approving ``proposed`` would change in ``row``'s trust fields."""
    return trust_changes(trust_of(row), _proposed_trust(row, proposed))


def propose_change(
    row: Registration, proposed: dict[str, Any], actor: Actor
) -> RegistrationChange | None:
    """Record new details for a known registration, pending an admin (None: nothing differs).

    The registration keeps working unchanged. A newer proposal supersedes an older pending
    one, so the console shows one decision per registration. Audited with the diff. Commits.
    """
    diff = change_diff(row, proposed)
    if not diff:
        return None
    for older in db.session.scalars(
        select(RegistrationChange).filter_by(registration_id=row.id, status=ChangeStatus.PENDING)
    ):
        older.status = ChangeStatus.SUPERSEDED
    change = RegistrationChange(registration_id=row.id, origin="dynamic", proposed=proposed)
    db.session.add(change)
    db.session.flush()
    record_registration(
        "registration.change_proposed", row, actor=actor, change=change.public_id, changes=diff
    )
    db.session.commit()
    log.warning(
        "registration %s (%s / %s): a change waits for an admin: %s",
        row.id,
        row.issuer,
        row.client_id,
        ", ".join(diff),
    )
    return change


def pending_change(row: Registration) -> RegistrationChange | None:
    """The change waiting for an admin's decision on ``row``, if any."""
    return db.session.scalars(
        select(RegistrationChange).filter_by(registration_id=row.id, status=ChangeStatus.PENDING)
    ).first()


def decide_change(change: RegistrationChange, approve: bool, actor: Actor) -> Registration:
    """Apply (approve) or drop (reject) a pending change as ``actor``; audited with its diff.
    Commits."""
    if change.status != ChangeStatus.PENDING:
        raise RegistrationError(_("This change was already %(status)s.", status=change.status))
    row = change.registration
    proposed = change.proposed
    change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
    change.decided_at, change.decided_by = utcnow(), str(actor)[:320]
    if not approve:
        record_registration(
            "registration.change_rejected",
            row,
            actor=actor,
            change=change.public_id,
            changes=change_diff(row, proposed),
        )
        db.session.commit()
        return row
    row = save_platform(
        PlatformSpec(
            issuer=row.issuer,
            client_id=row.client_id,
            auth_login_url=proposed["auth_login_url"],
            auth_token_url=proposed["auth_token_url"],
            key_set_url=proposed.get("key_set_url"),
            key_set=proposed.get("key_set"),
            auth_audience=proposed.get("auth_audience"),
            deployment_ids=tuple(proposed.get("deployment_ids") or ()),
            name=row.name,
            product_family=proposed.get("product_family") or "",
        ),
        actor=actor,
        action="registration.change_approved",
        change=change.public_id,
    )
    source = db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=row.id)
    ).first()
    if source is None:
        source = RegistrationSource(registration_id=row.id, method=change.origin)
        db.session.add(source)
    for name, value in (proposed.get("source") or {}).items():
        setattr(source, name, value)
    db.session.commit()
    return row


# What the console and ``flask lti`` change.
STATUSES = (RegistrationStatus.ACTIVE, RegistrationStatus.PENDING, RegistrationStatus.DISABLED)


def find_registration(ref: str | int) -> Registration:
    """A registration by its public id, or (for the CLI) its numeric id."""
    row = find_by_ref(Registration, ref)
    if row is None:
        raise RegistrationError(_("No registration %(strip)s.", strip=str(ref).strip()))
    return row


def source_of(registration: Registration) -> RegistrationSource | None:
    """How the registration came (manual, dynamic, …), if recorded."""
    return db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)
    ).first()


@retry_on_lock
def set_registration_status(ref: str | int, status: str, actor: Actor) -> Registration:
    """Approve (active) or disable a registration, as ``actor``."""
    if status not in STATUSES:
        raise RegistrationError(_("Unknown status %(status)s.", status=repr(status)))
    row = find_registration(ref)
    row.status = status
    record_registration("registration.status", row, actor=actor)
    db.session.commit()
    log.info("registration %s (%s / %s) is now %s", row.id, row.issuer, row.client_id, status)
    return row


@retry_on_lock
def set_institution_admins_staff(ref: str | int, enabled: bool, actor: Actor) -> Registration:
    """Opt a registration in (or out), as ``actor``: its LMS administrators are staff in every
    course.

    Takes effect at each person's next launch, which recomputes their staff status.
    """
    row = find_registration(ref)
    row.institution_admins_are_staff = enabled
    record_registration(
        "registration.updated", row, actor=actor, institution_admins_are_staff=enabled
    )
    db.session.commit()
    log.info(
        "registration %s: institution administrators are %sstaff", row.id, "" if enabled else "not "
    )
    return row


@retry_on_lock
def set_deployment_status(
    registration: Registration, deployment_row_id: int, status: str, actor: Actor
) -> Deployment:
    """Approve (active) or disable one deployment of a registration, as ``actor``."""
    if status not in (RegistrationStatus.ACTIVE, RegistrationStatus.DISABLED):
        raise RegistrationError(_("Unknown deployment status %(status)s.", status=repr(status)))
    deployment = db.session.scalars(
        select(Deployment).filter_by(id=deployment_row_id, registration_id=registration.id)
    ).first()
    if deployment is None:
        raise RegistrationError(_("No such deployment in this registration."))
    deployment.status = status
    record_registration(
        "registration.deployment_status",
        registration,
        actor=actor,
        deployment=deployment.deployment_id,
    )
    db.session.commit()
    log.info(
        "deployment %s of registration %s is now %s",
        deployment.deployment_id,
        registration.id,
        status,
    )
    return deployment


def add_deployment(registration: Registration, deployment_id: str, actor: Actor) -> Deployment:
    """Add a deployment id by hand (active), as ``actor``."""
    deployment_id = deployment_id.strip()
    if not deployment_id:
        raise RegistrationError(_("The deployment ID is empty."))
    if any(d.deployment_id == deployment_id for d in registration.deployments):
        raise RegistrationError(
            _("Deployment %(deployment_id)s is already registered.", deployment_id=deployment_id)
        )
    deployment = Deployment(deployment_id=deployment_id)
    registration.deployments.append(deployment)
    record_registration(
        "registration.deployment_added", registration, actor=actor, deployment=deployment_id
    )
    db.session.commit()
    return deployment


@dataclass(frozen=True)
class RegistrationInput:
    """A registration typed in by an admin (manual registration)."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str = ""
    deployment_id: str = ""
    adopt_deployments: bool = False
    institution_admins_are_staff: bool = False


def _check_input(data: RegistrationInput) -> None:
    for label, value in (
        ("issuer", data.issuer),
        ("client ID", data.client_id),
        ("login (authorization) URL", data.auth_login_url),
        ("token URL", data.auth_token_url),
        ("key set URL", data.key_set_url),
    ):
        if not value.strip():
            raise RegistrationError(_("The %(label)s is required.", label=label))
    for label, url in (
        ("login URL", data.auth_login_url),
        ("token URL", data.auth_token_url),
        ("key set URL", data.key_set_url),
    ):
        if not url.startswith(("https://", "http://")):
            raise RegistrationError(_("The %(label)s must be an http(s) URL.", label=label))


def create_registration(data: RegistrationInput, actor: Actor) -> Registration:
    """Register a platform by hand (``actor``, an admin): active at once, since they typed it."""
    _check_input(data)
    if db.session.scalars(
        select(Registration).filter_by(issuer=data.issuer.strip(), client_id=data.client_id.strip())
    ).first():
        raise RegistrationError(_("A registration with this issuer and client ID exists; edit it."))
    row = save_platform(
        PlatformSpec(
            issuer=data.issuer.strip(),
            client_id=data.client_id.strip(),
            auth_login_url=data.auth_login_url.strip(),
            auth_token_url=data.auth_token_url.strip(),
            key_set_url=data.key_set_url.strip(),
            auth_audience=data.auth_audience.strip() or None,
            deployment_ids=(data.deployment_id.strip(),) if data.deployment_id.strip() else (),
            name=data.name.strip(),
        ),
        actor=actor,
    )
    row.institution_admins_are_staff = data.institution_admins_are_staff
    db.session.add(
        RegistrationSource(
            registration_id=row.id, method="manual", adopt_deployments=data.adopt_deployments
        )
    )
    db.session.commit()
    return row


def update_registration(row: Registration, data: RegistrationInput, actor: Actor) -> Registration:
    """Change a registration's platform details as ``actor`` (its deployments have their own
    actions)."""
    _check_input(data)
    issuer, client_id = data.issuer.strip(), data.client_id.strip()
    clash = db.session.scalars(
        select(Registration).filter_by(issuer=issuer, client_id=client_id)
    ).first()
    if clash is not None and clash.id != row.id:
        raise RegistrationError(_("Another registration has this issuer and client ID."))
    before = trust_of(row)
    row.name = data.name.strip() or issuer
    row.issuer, row.client_id = issuer, client_id
    row.auth_login_url = data.auth_login_url.strip()
    row.auth_token_url = data.auth_token_url.strip()
    row.key_set_url = data.key_set_url.strip()
    row.auth_audience = data.auth_audience.strip() or None
    source = source_of(row)
    if source is None:
        source = RegistrationSource(registration_id=row.id, method="manual")
        db.session.add(source)
    source.adopt_deployments = data.adopt_deployments
    row.institution_admins_are_staff = data.institution_admins_are_staff
    record_registration(
        "registration.updated",
        row,
        actor=actor,
        adopt_deployments=data.adopt_deployments,
        changes=trust_changes(before, trust_of(row)),
        institution_admins_are_staff=data.institution_admins_are_staff,
    )
    db.session.commit()
    if data.deployment_id.strip() and not any(
        d.deployment_id == data.deployment_id.strip() for d in row.deployments
    ):
        add_deployment(row, data.deployment_id, actor)
    return row


def decide_registration_change(
    row: Registration, change_public_id: str, approve: bool, actor: Actor
) -> Registration:
    """Approve (apply) or reject a registration's pending change; audited as ``actor``."""
    change = db.session.scalars(
        select(RegistrationChange).filter_by(public_id=change_public_id, registration_id=row.id)
    ).first()
    if change is None:
        raise RegistrationError(_("No such change for this registration."))
    row = decide_change(change, approve, actor)
    log.info("registration %s: change %s %s", row.id, change.public_id, change.status)
    return row
