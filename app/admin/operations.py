"""What the console and ``flask admin``/``flask lti`` change: accounts, registrations, keys.

Callable without a request; views and commands parse input, call one of these, render.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.admin import security
from app.admin.models import AdminUser, RegistrationChange, RegistrationSource
from app.database import find_by_ref, retry_on_lock
from app.extensions import db
from app.models import Context, Deployment, Registration, RegistrationStatus, ToolKey
from app.openbadges.models import Issuer
from app.registrations.operations import (
    PlatformSpec,
    RegistrationError,
    change_diff,
    decide_change,
    pending_change,
    record_registration,
    save_platform,
    trust_changes,
    trust_of,
)
from lti import keys

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
STATUSES = (RegistrationStatus.ACTIVE, RegistrationStatus.PENDING, RegistrationStatus.DISABLED)


class AdminError(ValueError):
    """An admin operation was refused; the message says why, for a person."""


# Accounts.
def create_user(email: str, password: str | None = None) -> tuple[AdminUser, str]:
    """Create a console account; returns it and its password (generated when not given)."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AdminError(_("%(email)s is not an email address.", email=repr(email)))
    if password is None:
        password = secrets.token_urlsafe(15)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(
            _("The password must have at least %(value)s characters.", value=MIN_PASSWORD_LENGTH)
        )
    if db.session.scalars(select(AdminUser).filter_by(email=email)).first():
        raise AdminError(_("An admin account for %(email)s already exists.", email=email))
    user = AdminUser(email=email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    log.info("admin account created: %s", email)
    return user, password


def authenticate(email: str, password: str, address: str) -> AdminUser | None:
    """The active account with this email and password, or None; ``security.Throttled``
    while the account or the address must wait after failed attempts."""
    keys = security.throttle_keys(email, address)
    security.check_throttle(keys)
    user = db.session.scalars(
        select(AdminUser).filter_by(email=email.strip().lower(), active=True)
    ).first()
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matches:
        log.warning("admin sign-in refused for %s from %s", email[:320], address)
        security.record_failure(keys)
        return None
    security.clear_failures(keys[0])
    return user


def change_password(email: str, password: str) -> AdminUser:
    """Set an account's password; every session of it ends."""
    user = find_user(email)
    try:
        security.set_password(user, password, MIN_PASSWORD_LENGTH)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    return user


def find_user(email: str) -> AdminUser:
    """The account with this email, or AdminError."""
    user = db.session.scalars(select(AdminUser).filter_by(email=email.strip().lower())).first()
    if user is None:
        raise AdminError(_("No admin account %(email)s.", email=email))
    return user


# Registrations.
@dataclass(frozen=True)
class DeploymentSummary:
    id: int
    deployment_id: str
    status: str


@dataclass(frozen=True)
class RegistrationSummary:
    """One row of the console's list (and of ``flask lti list``)."""

    id: int
    public_id: str
    name: str
    issuer: str
    client_id: str
    product_family: str
    status: str
    method: str
    adopt_deployments: bool
    deployments: tuple[DeploymentSummary, ...]
    last_launch_at: datetime | None
    change_pending: bool = False


def registration_summaries() -> list[RegistrationSummary]:
    """Every registration with its deployments and last launch, newest first."""
    last_launch = dict(
        db.session.execute(
            select(Context.registration_id, func.max(Context.last_launch_at)).group_by(
                Context.registration_id
            )
        ).all()
    )
    sources = {s.registration_id: s for s in db.session.scalars(select(RegistrationSource))}
    changing = set(
        db.session.scalars(select(RegistrationChange.registration_id).filter_by(status="pending"))
    )
    rows = db.session.scalars(select(Registration).order_by(Registration.id.desc())).all()
    summaries = []
    for row in rows:
        source = sources.get(row.id)
        summaries.append(
            RegistrationSummary(
                id=row.id,
                public_id=row.public_id,
                name=row.name,
                issuer=row.issuer,
                client_id=row.client_id,
                product_family=row.product_family,
                status=row.status,
                method=source.method if source else "manual",
                adopt_deployments=bool(source and source.adopt_deployments),
                deployments=tuple(
                    DeploymentSummary(d.id, d.deployment_id, d.status)
                    for d in sorted(row.deployments, key=lambda d: d.id)
                ),
                last_launch_at=last_launch.get(row.id),
                change_pending=row.id in changing,
            )
        )
    return summaries


def find_registration(ref: str | int) -> Registration:
    """A registration by its public id, or (for the CLI) its numeric id."""
    row = find_by_ref(Registration, ref)
    if row is None:
        raise AdminError(_("No registration %(strip)s.", strip=str(ref).strip()))
    return row


def source_of(registration: Registration) -> RegistrationSource | None:
    return db.session.scalars(
        select(RegistrationSource).filter_by(registration_id=registration.id)
    ).first()


@retry_on_lock
def set_registration_status(ref: str | int, status: str) -> Registration:
    """Approve (active) or disable a registration."""
    if status not in STATUSES:
        raise AdminError(_("Unknown status %(status)s.", status=repr(status)))
    row = find_registration(ref)
    row.status = status
    record_registration("registration.status", row)
    db.session.commit()
    log.info("registration %s (%s / %s) is now %s", row.id, row.issuer, row.client_id, status)
    return row


@retry_on_lock
def set_institution_admins_staff(ref: str | int, enabled: bool) -> Registration:
    """Opt a registration in (or out): its LMS administrators are staff in every course.

    Takes effect at each person's next launch, which recomputes their staff status.
    """
    row = find_registration(ref)
    row.institution_admins_are_staff = enabled
    record_registration("registration.updated", row, institution_admins_are_staff=enabled)
    db.session.commit()
    log.info(
        "registration %s: institution administrators are %sstaff", row.id, "" if enabled else "not "
    )
    return row


@retry_on_lock
def set_deployment_status(
    registration: Registration, deployment_row_id: int, status: str
) -> Deployment:
    """Approve (active) or disable one deployment of a registration."""
    if status not in (RegistrationStatus.ACTIVE, RegistrationStatus.DISABLED):
        raise AdminError(_("Unknown deployment status %(status)s.", status=repr(status)))
    deployment = db.session.scalars(
        select(Deployment).filter_by(id=deployment_row_id, registration_id=registration.id)
    ).first()
    if deployment is None:
        raise AdminError(_("No such deployment in this registration."))
    deployment.status = status
    record_registration(
        "registration.deployment_status", registration, deployment=deployment.deployment_id
    )
    db.session.commit()
    log.info(
        "deployment %s of registration %s is now %s",
        deployment.deployment_id,
        registration.id,
        status,
    )
    return deployment


def add_deployment(registration: Registration, deployment_id: str) -> Deployment:
    """Add a deployment id by hand (active)."""
    deployment_id = deployment_id.strip()
    if not deployment_id:
        raise AdminError(_("The deployment ID is empty."))
    if any(d.deployment_id == deployment_id for d in registration.deployments):
        raise AdminError(
            _("Deployment %(deployment_id)s is already registered.", deployment_id=deployment_id)
        )
    deployment = Deployment(deployment_id=deployment_id)
    registration.deployments.append(deployment)
    record_registration("registration.deployment_added", registration, deployment=deployment_id)
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
            raise AdminError(_("The %(label)s is required.", label=label))
    for label, url in (
        ("login URL", data.auth_login_url),
        ("token URL", data.auth_token_url),
        ("key set URL", data.key_set_url),
    ):
        if not url.startswith(("https://", "http://")):
            raise AdminError(_("The %(label)s must be an http(s) URL.", label=label))


def create_registration(data: RegistrationInput) -> Registration:
    """Register a platform by hand: active at once, since an admin typed it."""
    _check_input(data)
    if db.session.scalars(
        select(Registration).filter_by(issuer=data.issuer.strip(), client_id=data.client_id.strip())
    ).first():
        raise AdminError(_("A registration with this issuer and client ID exists; edit it."))
    try:
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
            )
        )
    except RegistrationError as exc:
        raise AdminError(str(exc)) from exc
    row.institution_admins_are_staff = data.institution_admins_are_staff
    db.session.add(
        RegistrationSource(
            registration_id=row.id, method="manual", adopt_deployments=data.adopt_deployments
        )
    )
    db.session.commit()
    return row


def update_registration(row: Registration, data: RegistrationInput) -> Registration:
    """Change a registration's platform details (its deployments have their own actions)."""
    _check_input(data)
    issuer, client_id = data.issuer.strip(), data.client_id.strip()
    clash = db.session.scalars(
        select(Registration).filter_by(issuer=issuer, client_id=client_id)
    ).first()
    if clash is not None and clash.id != row.id:
        raise AdminError(_("Another registration has this issuer and client ID."))
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
        adopt_deployments=data.adopt_deployments,
        changes=trust_changes(before, trust_of(row)),
        institution_admins_are_staff=data.institution_admins_are_staff,
    )
    db.session.commit()
    if data.deployment_id.strip() and not any(
        d.deployment_id == data.deployment_id.strip() for d in row.deployments
    ):
        add_deployment(row, data.deployment_id)
    return row


@dataclass(frozen=True)
class PendingChange:
    """A registration change waiting for a decision, as the console shows it."""

    public_id: str
    created_at: datetime
    origin: str
    configuration_url: str
    diff: dict[str, dict[str, object]]


def pending_change_of(row: Registration) -> PendingChange | None:
    """The change waiting on ``row`` with its diff against the live registration."""
    change = pending_change(row)
    if change is None:
        return None
    source = change.proposed.get("source") or {}
    return PendingChange(
        change.public_id,
        change.created_at,
        change.origin,
        str(source.get("openid_configuration_url") or ""),
        change_diff(row, change.proposed),
    )


def decide_registration_change(
    row: Registration, change_public_id: str, approve: bool, actor: str
) -> Registration:
    """Approve (apply) or reject a registration's pending change; audited as ``actor``."""
    change = db.session.scalars(
        select(RegistrationChange).filter_by(public_id=change_public_id, registration_id=row.id)
    ).first()
    if change is None:
        raise AdminError(_("No such change for this registration."))
    try:
        row = decide_change(change, approve, actor)
    except RegistrationError as exc:
        raise AdminError(str(exc)) from exc
    log.info("registration %s: change %s %s", row.id, change.public_id, change.status)
    return row


# Keys.
def tool_keys() -> list[ToolKey]:
    """The tool's keys, newest first (retired ones too, for the record)."""
    keys.active_key()  # a fresh install shows its first key rather than an empty list
    keys.retire_expired()
    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.id.desc())))


def rotate_keys(overlap_days: int) -> ToolKey:
    """A new signing key; the old one stays published for ``overlap_days``."""
    if not 0 <= overlap_days <= 90:
        raise AdminError(_("The overlap must be between 0 and 90 days."))
    key = keys.rotate(timedelta(days=overlap_days))
    log.info("tool key rotated: new kid %s, overlap %s days", key.kid, overlap_days)
    return key


# --- issuer profiles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerProfiles:
    """What the console shows of a registration's issuers: the institution's profile (or
    the values a new one starts from), the courses' overrides, the courses without one."""

    institution: Issuer | None
    defaults: dict[str, str]
    overrides: list[tuple[Context, Issuer]]
    courses: list[Context]


def issuer_profiles(registration: Registration) -> IssuerProfiles:
    """The registration's issuer profiles for the console."""
    issuers = list(
        db.session.scalars(
            select(Issuer).where(Issuer.registration_id == registration.id).order_by(Issuer.id)
        )
    )
    contexts = list(
        db.session.scalars(
            select(Context)
            .where(Context.registration_id == registration.id)
            .order_by(Context.title, Context.id)
        )
    )
    by_context = {issuer.context_id: issuer for issuer in reversed(issuers)}
    url = (
        registration.issuer
        if registration.issuer.startswith(("http://", "https://"))
        else current_app.config["PUBLIC_BASE_URL"]
    )
    defaults = {
        "name": registration.platform_name or registration.name,
        "url": url,
        "email": parseaddr(current_app.config["MAIL_FROM"])[1],
        "description": "",
        "image_url": "",
    }
    return IssuerProfiles(
        institution=by_context.get(None),
        defaults=defaults,
        overrides=[(c, by_context[c.id]) for c in contexts if c.id in by_context],
        courses=[c for c in contexts if c.id not in by_context],
    )


def course_of(registration: Registration, public_id: str) -> Context | None:
    """The registration's course with this public id, or None."""
    return db.session.scalar(
        select(Context).where(
            Context.public_id == public_id, Context.registration_id == registration.id
        )
    )
