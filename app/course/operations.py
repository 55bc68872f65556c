"""State changes for courses and people, callable without a request."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, select

from app import registration_cache
from app.database import retry_on_lock, upsert
from app.extensions import db
from app.models import Context, LtiUser, Membership, Registration
from app.models.base import utcnow

M = TypeVar("M")

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
    # The LMS's own course id from the custom claim (see :func:`lms_course_id`).
    lms_course_id: str | None = None


# Custom parameters naming the LMS's course id: Canvas's registration asks for
# ``canvas_course_id=$Canvas.course.id``; on Moodle an admin adds ``course_id=$Context.id``
# (Moodle substitutes the course id; README "Moodle"). An unsubstituted value (Canvas sends
# the literal "$Canvas.course.id" where it cannot substitute) is not an id.
COURSE_ID_PARAMETERS = ("canvas_course_id", "course_id")


def lms_course_id(custom: Any) -> str | None:
    """The LMS's course id named by the launch's custom claim, if one is a plain number."""
    if not isinstance(custom, dict):
        return None
    for name in COURSE_ID_PARAMETERS:
        value = str(custom.get(name) or "").strip()
        if value.isascii() and value.isdigit() and len(value) <= 64:
            return value
    return None


@dataclass(frozen=True)
class RecordedLaunch:
    context_id: int
    user_id: int
    is_staff: bool


def _get_or_create(model: type[M], lookup: dict[str, Any], **defaults: Any) -> M:
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
    _update_person(user, facts)
    return user


def _update_person(user: LtiUser, facts: PersonFacts) -> None:
    _assign(
        user,
        **{
            attr: getattr(facts, attr)
            for attr in ("name", "given_name", "family_name", "email", "locale")
            if getattr(facts, attr)
        },
    )
    if not user.name and (facts.given_name or facts.family_name):
        user.name = f"{facts.given_name} {facts.family_name}".strip()


# "Last launch" is for people, not for auditing: refreshing it at most this often keeps a repeat
# launch (the common case) free of writes when nothing else changed.
LAST_LAUNCH_RESOLUTION = timedelta(minutes=5)


def _due(last: datetime | None, now: datetime) -> bool:
    """Whether a "last launch" time is old enough to be moved."""
    return last is None or now - last >= LAST_LAUNCH_RESOLUTION


def _touch(row: Context | LtiUser, now: datetime) -> None:
    if _due(row.last_launch_at, now):
        row.last_launch_at = now


def _assign(row: Any, **values: Any) -> None:
    """Set only the attributes whose values differ: an unchanged row stays clean, so the
    commit has nothing to flush or compare."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _known_rows(facts: LaunchFacts) -> tuple[LtiUser | None, Context | None, Membership | None]:
    """The person, the course and the membership a launch names, in one statement (a repeat
    launch finds all three)."""
    row = db.session.execute(
        select(LtiUser, Context, Membership)
        .select_from(LtiUser)
        .outerjoin(
            Context,
            and_(
                Context.deployment_id == facts.deployment_id,
                Context.lti_context_id == facts.lti_context_id,
            ),
        )
        .outerjoin(
            Membership,
            and_(Membership.context_id == Context.id, Membership.user_id == LtiUser.id),
        )
        .where(LtiUser.issuer == facts.person.issuer, LtiUser.sub == facts.person.sub)
    ).first()
    return (row[0], row[1], row[2]) if row is not None else (None, None, None)


def _platform_news(facts: LaunchFacts) -> bool:
    """Whether the launch tells the registration something it does not hold yet."""
    known = registration_cache.snapshot().by_id.get(facts.registration_id)
    new_name = bool(facts.platform_name) and (
        known is None or known.platform_name != facts.platform_name
    )
    new_family = bool(facts.product_family) and (known is None or not known.product_family)
    return new_name or new_family


def _learn_platform(facts: LaunchFacts) -> None:
    """Keep the institution's name, and a family the registration was imported without (so
    the Moodle quirks apply before the first failed request), from the platform's signed
    word; the registration row is read only when the launch says something new."""
    if not _platform_news(facts):
        return
    registration = db.session.get(Registration, facts.registration_id)
    if registration is None:
        return
    if facts.platform_name and registration.platform_name != facts.platform_name:
        registration.platform_name = facts.platform_name
    if facts.product_family and not registration.product_family:
        registration.product_family = facts.product_family[:50]


@functools.cache
def _repeat_launch_query() -> Select[Any]:
    # Built once: composing the statement costs more than running it on a repeat launch.
    u, c, m = LtiUser.__table__.c, Context.__table__.c, Membership.__table__.c
    return (
        select(
            u.id.label("user_id"),
            u.name,
            u.given_name,
            u.family_name,
            u.email,
            u.last_launch_at.label("user_launch"),
            c.id.label("context_id"),
            c.title,
            c.label,
            c.ags_endpoint,
            c.nrps_endpoint,
            c.lms_course_id,
            c.last_launch_at.label("context_launch"),
            m.roles,
            m.is_staff,
            m.launch_staff,
            m.active,
        )
        .select_from(
            LtiUser.__table__.join(
                Context.__table__,
                and_(
                    c.deployment_id == bindparam("deployment_id"),
                    c.lti_context_id == bindparam("lti_context_id"),
                ),
            ).join(Membership.__table__, and_(m.context_id == c.id, m.user_id == u.id))
        )
        .where(u.issuer == bindparam("issuer"), u.sub == bindparam("sub"))
    )


def _repeat_launch(facts: LaunchFacts, now: datetime) -> RecordedLaunch | None:
    """The launch's rows when they already say everything it says (the common case: the
    same learner again), read with one Core statement and no ORM objects; None when anything
    is missing or would change."""
    row = db.session.execute(
        _repeat_launch_query(),
        {
            "deployment_id": facts.deployment_id,
            "lti_context_id": facts.lti_context_id,
            "issuer": facts.person.issuer,
            "sub": facts.person.sub,
        },
    ).first()
    if row is None:
        return None
    person = facts.person
    is_staff = is_staff_role(facts.roles, institution_admins=facts.institution_admins_are_staff)
    same = (
        all(
            not value or value == known
            for value, known in (
                (person.name, row.name),
                (person.given_name, row.given_name),
                (person.family_name, row.family_name),
                (person.email, row.email),
                (facts.context_title, row.title),
                (facts.context_label, row.label),
                (facts.lms_course_id, row.lms_course_id),
            )
        )
        and (row.name or person.name or not (person.given_name or person.family_name))
        and (facts.ags_endpoint is None or facts.ags_endpoint == row.ags_endpoint)
        and (facts.nrps_endpoint is None or facts.nrps_endpoint == row.nrps_endpoint)
        and not _due(row.user_launch, now)
        and not _due(row.context_launch, now)
        and list(row.roles or []) == list(facts.roles)
        and row.is_staff == is_staff
        and row.launch_staff == is_staff
        and row.active
        and not _platform_news(facts)
    )
    return RecordedLaunch(row.context_id, row.user_id, is_staff) if same else None


@retry_on_lock
def record_launch(facts: LaunchFacts) -> RecordedLaunch:
    """Upsert the course, the person and their membership from a validated launch.

    A repeat launch with nothing new reads one row set and writes nothing (the ORM path
    below runs only when something is new, and updates only columns whose values differ;
    "last launch" moves at most every few minutes)."""
    now = utcnow()
    repeat = _repeat_launch(facts, now)
    if repeat is not None:
        return repeat
    user, context, membership = _known_rows(facts)
    if context is None:
        context = _get_or_create(
            Context,
            {"deployment_id": facts.deployment_id, "lti_context_id": facts.lti_context_id},
            registration_id=facts.registration_id,
        )
    _assign(
        context,
        title=facts.context_title or context.title,
        label=facts.context_label or context.label,
        ags_endpoint=facts.ags_endpoint if facts.ags_endpoint is not None else context.ags_endpoint,
        nrps_endpoint=(
            facts.nrps_endpoint if facts.nrps_endpoint is not None else context.nrps_endpoint
        ),
        lms_course_id=facts.lms_course_id or context.lms_course_id,
    )
    _touch(context, now)
    _learn_platform(facts)

    if user is None:
        user = _get_or_create(LtiUser, {"issuer": facts.person.issuer, "sub": facts.person.sub})
    _update_person(user, facts.person)
    _touch(user, now)
    if membership is None:
        db.session.flush()
        membership = _get_or_create(Membership, {"context_id": context.id, "user_id": user.id})
    is_staff = is_staff_role(facts.roles, institution_admins=facts.institution_admins_are_staff)
    # launch_staff: the roster never demotes it.
    _assign(
        membership, roles=list(facts.roles), is_staff=is_staff, launch_staff=is_staff, active=True
    )
    # Read before the commit, which expires the rows (reading after it would reload them).
    recorded = RecordedLaunch(context_id=context.id, user_id=user.id, is_staff=membership.is_staff)
    db.session.commit()
    return recorded
