"""What the console and ``flask lti list`` show of registrations: read-only, no commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Context, Registration, RegistrationChange, RegistrationSource
from app.openbadges.models import Issuer
from app.registrations.operations import change_diff, pending_change


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
