"""State changes for courses and people, callable without a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.database import retry_on_lock, upsert
from app.extensions import db
from app.models import Context, LtiUser, Membership, Registration
from app.models.base import utcnow

# Role mapping of the product: these context (membership) roles are staff in that course.
STAFF_ROLE_NAMES = frozenset(
    {"Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator"}
)
_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
_MEMBERSHIP = (_LIS + "membership#", _LIS + "membership/")
# Administrators of the whole LMS account; staff only where a registration opts in.
INSTITUTION_ADMIN_ROLES = frozenset(
    {
        _LIS + "institution/person#Administrator",
        _LIS + "system/person#Administrator",
        _LIS + "system/person#SysAdmin",
    }
)


def is_staff_role(roles: list[str], *, institution_admins: bool = False) -> bool:
    """True when a context role (full ``membership`` URI or a short name) is a staff role.

    Sub-roles (``membership/Instructor#TeachingAssistant``) count by their last part.
    Institution and system roles describe the person across the LMS, not this course: Canvas
    sends ``institution/person#Instructor`` to anyone who teaches any course, also where they
    are a student, so they never count. Only ``institution_admins`` (a registration's opt-in)
    lets the LMS's administrators in.
    """
    for role in roles:
        if institution_admins and role in INSTITUTION_ADMIN_ROLES:
            return True
        # A context role is a membership URI or (LTI allows it) a short name like "Instructor".
        is_context_role = role.startswith(_MEMBERSHIP) or ":" not in role
        if is_context_role and role.rsplit("#", 1)[-1].rsplit("/", 1)[-1] in STAFF_ROLE_NAMES:
            return True
    return False


@dataclass(frozen=True)
class PersonFacts:
    """What a launch or a roster says about one person."""

    issuer: str
    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    locale: str = ""  # a supported locale (app.i18n), from launches only


@dataclass(frozen=True)
class LaunchFacts:
    """The parts of a validated launch the product keeps."""

    registration_id: int
    deployment_id: int
    person: PersonFacts
    lti_context_id: str
    context_title: str = ""
    context_label: str = ""
    roles: list[str] = field(default_factory=list)
    # The registration lets the LMS's institution administrators act as staff (opt-in).
    institution_admins_are_staff: bool = False
    ags_endpoint: dict[str, Any] | None = None
    nrps_endpoint: dict[str, Any] | None = None
    # The signed launch's ``tool_platform.product_family_code`` ("moodle", "canvas").
    product_family: str = ""
    platform_name: str = ""  # the institution, from the launch's tool_platform claim


@dataclass(frozen=True)
class RecordedLaunch:
    context_id: int
    user_id: int
    is_staff: bool


def _get_or_create(model: type, lookup: dict[str, Any], **defaults: Any) -> Any:
    """Fetch a row by its natural key, inserting it first if needed; safe under concurrency."""
    query = select(model).filter_by(**lookup)
    row = db.session.scalars(query).first()
    if row is None:
        upsert(model, [{**lookup, **defaults}])
        row = db.session.scalars(query).one()
    return row


def upsert_person(facts: PersonFacts) -> LtiUser:
    """Create or update a person; empty values from the LMS never erase known ones."""
    user = _get_or_create(LtiUser, {"issuer": facts.issuer, "sub": facts.sub})
    for attr in ("name", "given_name", "family_name", "email", "locale"):
        value = getattr(facts, attr)
        if value:
            setattr(user, attr, value)
    if not user.name and (facts.given_name or facts.family_name):
        user.name = f"{facts.given_name} {facts.family_name}".strip()
    return user


# "Last launch" is for people, not for auditing: refreshing it at most this often keeps a repeat
# launch (the common case) free of writes when nothing else changed.
LAST_LAUNCH_RESOLUTION = timedelta(minutes=5)


def _touch(row: Context | LtiUser, now: datetime) -> None:
    last = row.last_launch_at
    if last is not None and last.tzinfo is None:  # SQLite returns naive UTC
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= LAST_LAUNCH_RESOLUTION:
        row.last_launch_at = now


@retry_on_lock
def record_launch(facts: LaunchFacts) -> RecordedLaunch:
    """Upsert the course, the person and their membership from a validated launch."""
    now = utcnow()
    context = _get_or_create(
        Context,
        {"deployment_id": facts.deployment_id, "lti_context_id": facts.lti_context_id},
        registration_id=facts.registration_id,
    )
    if facts.platform_name:
        registration = db.session.get(Registration, facts.registration_id)
        if registration is not None and registration.platform_name != facts.platform_name:
            registration.platform_name = facts.platform_name
    if facts.context_title:
        context.title = facts.context_title
    if facts.context_label:
        context.label = facts.context_label
    if facts.ags_endpoint is not None:
        context.ags_endpoint = facts.ags_endpoint
    if facts.nrps_endpoint is not None:
        context.nrps_endpoint = facts.nrps_endpoint
    _touch(context, now)
    registration = db.session.get(Registration, facts.registration_id)  # loaded by the launch
    if facts.product_family and registration is not None and not registration.product_family:
        # A registration imported without its family (config.json, manual) learns it from the
        # platform's signed word, so the Moodle quirks apply before the first failed request.
        registration.product_family = facts.product_family[:50]

    user = upsert_person(facts.person)
    _touch(user, now)
    db.session.flush()

    membership = _get_or_create(Membership, {"context_id": context.id, "user_id": user.id})
    membership.roles = list(facts.roles)
    membership.is_staff = is_staff_role(
        facts.roles, institution_admins=facts.institution_admins_are_staff
    )
    membership.launch_staff = membership.is_staff  # the roster never demotes it
    membership.active = True
    db.session.commit()
    return RecordedLaunch(context_id=context.id, user_id=user.id, is_staff=membership.is_staff)
