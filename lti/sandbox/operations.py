"""Everything that changes the sandbox's state, callable without a request."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti.sandbox import keys
from lti.sandbox import vocab as v
from lti.sandbox.flavours.base import ResultRow
from lti.sandbox.models import (
    AccessToken,
    Course,
    Enrollment,
    LineItem,
    Platform,
    ResourceLink,
    Result,
    Tool,
    UsedNonce,
    User,
    as_utc,
    dumps,
    utcnow,
)
from lti.sandbox.people import email_for, person

FLAVOURS = ("moodle", "canvas")

# Statements every launch runs, built once: building one (its expressions and cache key) cost
# about as much as running it.
_PLATFORM_BY_SLUG = select(Platform).where(Platform.slug == bindparam("slug"))
_TOOL_BY_CLIENT_ID = select(Tool).where(
    Tool.platform_id == bindparam("platform"), Tool.client_id == bindparam("client_id")
)
_ACCOUNT_ROLES = (
    select(Enrollment.role)
    .distinct()
    .where(Enrollment.user_id == bindparam("user"), Enrollment.status == "active")
)
_LINE_ITEMS_OF_LINK = (
    select(LineItem).where(LineItem.resource_link_id == bindparam("link")).order_by(LineItem.id)
)


# ---- platforms and tools -------------------------------------------------------------
def get_platform(s: Session, slug: str) -> Platform | None:
    """The platform at ``/<slug>``."""
    return s.scalars(_PLATFORM_BY_SLUG, {"slug": slug}).first()


def tool_by_client_id(s: Session, platform: Platform, client_id: str) -> Tool | None:
    """The tool of ``platform`` with ``client_id``."""
    return s.scalars(_TOOL_BY_CLIENT_ID, {"platform": platform.id, "client_id": client_id}).first()


def create_platform(s: Session, slug: str, flavour: str, name: str | None = None) -> Platform:
    """A new platform with a signing key; returns the existing one if ``slug`` is taken."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}")
    existing = get_platform(s, slug)
    if existing is not None:
        return existing
    guid = hashlib.md5(f"sandbox:{slug}".encode()).hexdigest()
    if flavour == "canvas":
        guid = hashlib.sha1(f"sandbox:{slug}".encode()).hexdigest() + ":canvas-lms"
    default_name = {"moodle": "Sandbox Moodle", "canvas": "Sandbox Canvas"}[flavour]
    platform = Platform(slug=slug, flavour=flavour, name=name or default_name, guid=guid)
    s.add(platform)
    s.flush()
    keys.add_platform_key(s, platform)
    return platform


def register_tool(
    s: Session,
    platform: Platform,
    *,
    name: str,
    client_id: str,
    deployment_id: str,
    login_url: str,
    redirect_uris: Sequence[str],
    target_link_uri: str,
    jwks_url: str,
    deep_link_url: str | None = None,
    scopes: Iterable[str] = v.DEFAULT_TOOL_SCOPES,
    custom: dict[str, str] | None = None,
    privacy_level: str = "public",
) -> Tool:
    """Register a tool (or update the registration with this client_id)."""
    tool = tool_by_client_id(s, platform, client_id)
    if tool is None:
        tool = Tool(platform_id=platform.id, client_id=client_id)
        s.add(tool)
    tool.name = name
    tool.deployment_id = deployment_id
    tool.login_url = login_url
    tool.redirect_uris_json = dumps(list(redirect_uris))
    tool.target_link_uri = target_link_uri
    tool.jwks_url = jwks_url
    tool.deep_link_url = deep_link_url
    tool.scopes = " ".join(scopes)
    tool.custom_json = dumps(custom or {})
    tool.privacy_level = privacy_level
    s.flush()
    return tool


def tools_of(s: Session, platform: Platform) -> list[Tool]:
    """Active tools of a platform."""
    return list(s.scalars(select(Tool).where(Tool.platform_id == platform.id, Tool.active)))


# ---- people and courses --------------------------------------------------------------
@dataclass
class NewPerson:
    """A person to create: login and names."""

    login: str
    given_name: str
    family_name: str
    email: str
    role: str


def _ids_for(platform: Platform, login: str) -> tuple[str, str]:
    """(lti_id, legacy_id): Canvas ids are derived from the login so reseeding is stable;
    Moodle's lti_id is the row id, filled in after the insert."""
    legacy = hashlib.sha1(f"{platform.slug}:{login}:legacy".encode()).hexdigest()
    if platform.flavour == "canvas":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{platform.slug}:{login}")), legacy
    return "", legacy


def _next_number(s: Session, platform: Platform, prefix: str) -> int:
    count = s.scalar(
        select(func.count())
        .select_from(User)
        .where(User.platform_id == platform.id, User.login.like(f"{prefix}%"))
    )
    return int(count or 0) + 1


def make_people(
    s: Session, platform: Platform, role: str, count: int, start_index: int = 0
) -> list[NewPerson]:
    """``count`` deterministic people for ``role`` with fresh logins (student7, teacher2…)."""
    prefix = {"student": "student", "teacher": "teacher", "ta": "ta"}[role]
    first = _next_number(s, platform, prefix)
    offset = {"student": 0, "teacher": 2000, "ta": 3000}[role]
    out = []
    for k in range(count):
        n = first + k
        idx = start_index + offset + n - 1
        given, family = person(idx)
        out.append(NewPerson(f"{prefix}{n}", given, family, email_for(given, family, idx), role))
    return out


def insert_people(s: Session, platform: Platform, people: Sequence[NewPerson]) -> list[int]:
    """Bulk-insert users (one executemany with RETURNING); returns their ids in order."""
    if not people:
        return []
    rows = []
    for i, p in enumerate(people):
        lti_id, legacy = _ids_for(platform, p.login)
        rows.append(
            {
                "platform_id": platform.id,
                "login": p.login,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "email": p.email,
                "lti_id": lti_id,
                "legacy_id": legacy,
                "is_admin": False,
                "sis_id": f"{platform.id:02d}{i:06d}" if platform.flavour == "canvas" else None,
            }
        )
    ids = list(s.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    if platform.flavour == "moodle":
        s.execute(
            update(User)
            .where(User.platform_id == platform.id, User.lti_id == "")
            .values(lti_id=cast(User.id, String))
        )
    return ids


def create_course(
    s: Session,
    platform: Platform,
    title: str,
    *,
    label: str | None = None,
    learners: int = 30,
    teachers: int = 1,
    tas: int = 1,
) -> Course:
    """A course with ``teachers`` instructors, ``tas`` TAs and ``learners`` learners, inserted in
    bulk so that 10,000 learners take a second or two."""
    course = Course(
        platform_id=platform.id, title=title, label=label or _label(title), lti_context_id=""
    )
    s.add(course)
    s.flush()
    if platform.flavour == "canvas":
        course.lti_context_id = hashlib.sha1(
            f"{platform.slug}:course:{course.id}".encode()
        ).hexdigest()
    else:
        course.lti_context_id = str(course.id)
    people = (
        make_people(s, platform, "teacher", teachers)
        + make_people(s, platform, "ta", tas)
        + make_people(s, platform, "student", learners)
    )
    ids = insert_people(s, platform, people)
    s.execute(
        insert(Enrollment),
        [
            {"course_id": course.id, "user_id": uid, "role": p.role, "status": "active"}
            for uid, p in zip(ids, people, strict=True)
        ],
    )
    s.flush()
    return course


def _label(title: str) -> str:
    words = [w for w in title.split() if w[:1].isalnum()]
    return ("".join(w[0] for w in words).upper() + "101")[:20] or "COURSE101"


def enroll(s: Session, course: Course, user: User, role: str) -> Enrollment:
    """Enrol an existing user."""
    e = Enrollment(course_id=course.id, user_id=user.id, role=role, status="active")
    s.add(e)
    s.flush()
    return e


def find_user(s: Session, platform: Platform, login_or_id: str | int) -> User | None:
    """A user by login, by row id, or by LTI id (``sub``)."""
    key = str(login_or_id)
    base = select(User).where(User.platform_id == platform.id)
    user = s.scalars(base.where(User.login == key)).first()
    if user is None:
        user = s.scalars(base.where(User.lti_id == key)).first()
    if user is None and key.isdigit():
        user = s.scalars(base.where(User.id == int(key))).first()
    return user


def enrollment_of(s: Session, course: Course, user: User) -> Enrollment | None:
    """The user's enrolment in the course."""
    return s.scalars(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
    ).first()


def account_roles_of(s: Session, user: User) -> frozenset[str]:
    """The roles a user holds in any active enrolment of their platform."""
    return frozenset(s.scalars(_ACCOUNT_ROLES, {"user": user.id}))


def members_page(
    s: Session,
    course: Course,
    flavour: str,
    roles: set[str] | None,
    offset: int,
    limit: int | None,
) -> tuple[list[tuple[Enrollment, User]], int]:
    """One page of a course's members and the total; one query each, indexed.
    Moodle sorts by last name, first name, id (get_enrolled_users); Canvas by user id."""
    q = (
        select(Enrollment, User)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.course_id == course.id)
    )
    if roles is not None:
        q = q.where(Enrollment.role.in_(roles))
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    if flavour == "moodle":
        q = q.order_by(User.family_name, User.given_name, User.id)
    else:
        q = q.order_by(User.id)
    q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [(e, u) for e, u in s.execute(q).all()], int(total)


# ---- resource links and line items ---------------------------------------------------
def add_resource_link(
    s: Session,
    course: Course,
    tool: Tool,
    title: str,
    *,
    description: str = "",
    url: str | None = None,
    custom: dict[str, str] | None = None,
) -> ResourceLink:
    """Place the tool in the course."""
    rl = ResourceLink(
        course_id=course.id,
        tool_id=tool.id,
        title=title,
        description=description,
        url=url,
        custom_json=dumps(custom or {}),
        lti_id="",
    )
    s.add(rl)
    s.flush()
    if course.platform.flavour == "canvas":
        rl.lti_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:rl:{course.id}:{rl.id}"))
    else:
        rl.lti_id = str(rl.id)
    s.flush()
    return rl


def links_of(s: Session, course: Course) -> list[ResourceLink]:
    """The course's resource links."""
    return list(
        s.scalars(
            select(ResourceLink)
            .where(ResourceLink.course_id == course.id)
            .order_by(ResourceLink.id)
        )
    )


def find_link(s: Session, course: Course, tool: Tool, lti_id: str) -> ResourceLink | None:
    """A resource link of ``tool`` in ``course`` by its LTI id."""
    return s.scalars(
        select(ResourceLink).where(
            ResourceLink.course_id == course.id,
            ResourceLink.tool_id == tool.id,
            ResourceLink.lti_id == lti_id,
        )
    ).first()


def add_line_item(
    s: Session,
    course: Course,
    tool: Tool | None,
    label: str,
    score_maximum: float,
    *,
    resource_link: ResourceLink | None = None,
    tag: str = "",
    resource_id: str = "",
    coupled: bool = False,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> LineItem:
    """A gradebook column; ``tool=None`` makes a column the tool cannot see."""
    li = LineItem(
        course_id=course.id,
        tool_id=tool.id if tool else None,
        resource_link_id=resource_link.id if resource_link else None,
        label=label,
        score_maximum=float(score_maximum),
        tag=tag or "",
        resource_id=resource_id or "",
        coupled=coupled,
        start_at=start_at,
        end_at=end_at,
    )
    s.add(li)
    s.flush()
    return li


def line_items_of_link(s: Session, link: ResourceLink) -> list[LineItem]:
    """The columns of a resource link, oldest first."""
    return list(s.scalars(_LINE_ITEMS_OF_LINK, {"link": link.id}))


def course_line_items(s: Session, course: Course) -> list[LineItem]:
    """Every column of a course (the gradebook's view)."""
    return list(
        s.scalars(select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id))
    )


# ---- grades --------------------------------------------------------------------------
def bulk_results(s: Session, rows: Iterable[dict[str, Any]]) -> int:
    """Insert many results at once (seeding, benchmarks). Rows: line_item_id, user_id,
    score_given, score_maximum, timestamp[, comment]."""
    batch = []
    now = utcnow()
    for r in rows:
        batch.append(
            {
                "line_item_id": r["line_item_id"],
                "user_id": r["user_id"],
                "score_given": r["score_given"],
                "score_maximum": r.get("score_maximum"),
                "comment": r.get("comment"),
                "activity_progress": "Completed",
                "grading_progress": "FullyGraded",
                "timestamp": r.get("timestamp", now),
                "updated_at": now,
                "by_teacher": False,
            }
        )
    if batch:
        s.execute(insert(Result), batch)
    return len(batch)


def teacher_grade(
    s: Session,
    flavour: str,
    li: LineItem,
    user: User,
    points: float | None,
    comment: str | None = None,
    now: datetime | None = None,
) -> Result:
    """A teacher's grade in the gradebook (an override of whatever the tool sent): new
    timestamp, optional comment. ``points`` are on the column's scale."""
    now = now or utcnow()
    result = s.scalars(
        select(Result).where(Result.line_item_id == li.id, Result.user_id == user.id)
    ).first()
    if result is None:
        result = Result(line_item_id=li.id, user_id=user.id)
        s.add(result)
    if flavour == "canvas" and points is not None and result.score_maximum:
        # Lti::Result#result_score scales a manual grade to the result's own maximum.
        result.score_given = points * result.score_maximum / li.score_maximum
    else:
        result.score_given = points
        if flavour == "canvas":
            result.score_maximum = li.score_maximum
    if comment is not None:
        result.comment = comment or None
    result.grading_progress = "FullyGraded"
    result.activity_progress = result.activity_progress or "Completed"
    result.timestamp = now
    result.updated_at = now
    result.by_teacher = True
    s.flush()
    return result


class ScoreError(Exception):
    """A refused score: HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_timestamp(value: Any) -> datetime:
    """An ISO 8601 timestamp with an offset (``Z`` allowed)."""
    if not isinstance(value, str) or not value:
        raise ValueError("timestamp must be an ISO 8601 string")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _number(payload: dict[str, Any], key: str) -> float | None:
    if key not in payload or payload[key] is None:
        return None
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(key)
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(key)
    return f


def post_score(
    s: Session,
    course: Course,
    flavour: str,
    li: LineItem,
    payload: Any,
) -> Result:
    """Apply an AGS score with the flavour's rules (shared/lti/*/service-semantics.json)."""
    if not isinstance(payload, dict):
        raise ScoreError(400, "The score must be a JSON object.")
    required = ("userId", "activityProgress", "gradingProgress", "timestamp")
    missing = [k for k in required if payload.get(k) in (None, "")]
    if missing:
        raise ScoreError(400, f"Missing required field(s): {', '.join(missing)}")
    if payload["activityProgress"] not in v.ACTIVITY_PROGRESS:
        raise ScoreError(400, "Invalid activityProgress.")
    if payload["gradingProgress"] not in v.GRADING_PROGRESS:
        raise ScoreError(400, "Invalid gradingProgress.")
    try:
        ts = parse_timestamp(payload["timestamp"])
    except ValueError as exc:
        raise ScoreError(400, "Incorrect date format for timestamp.") from exc
    try:
        given = _number(payload, "scoreGiven")
        maximum = _number(payload, "scoreMaximum")
    except ValueError as exc:
        raise ScoreError(400, f"{exc} must be a number.") from exc
    user = s.scalars(
        select(User).where(
            User.platform_id == course.platform_id, User.lti_id == str(payload["userId"])
        )
    ).first()
    enrolment = enrollment_of(s, course, user) if user else None
    gradable = (
        enrolment is not None and enrolment.role == "student" and enrolment.status == "active"
    )
    comment = payload.get("comment")
    result = None
    if user is not None:
        result = s.scalars(
            select(Result).where(Result.line_item_id == li.id, Result.user_id == user.id)
        ).first()
    now = utcnow()
    progress = payload["gradingProgress"]
    if flavour == "moodle":
        if not gradable:
            raise ScoreError(400, "Incorrect score received: user is not gradable.")
        assert user is not None  # gradable: enrolled
        if maximum is None:
            maximum = 1.0
        if maximum <= 0:
            raise ScoreError(400, "Incorrect score received: scoreMaximum.")
        # Moodle compares its stored timemodified with the new one in whole seconds.
        if result is not None and int(as_utc(result.timestamp).timestamp()) >= int(ts.timestamp()):
            raise ScoreError(
                409,
                f"Refusing score with an earlier timestamp for item {li.id} and user {user.lti_id}",
            )
        if result is None:
            result = Result(line_item_id=li.id, user_id=user.id)
            s.add(result)
        # scoreGiven counts only when FullyGraded; Moodle rescales to the item's maximum.
        if progress == "FullyGraded" and given is not None:
            result.score_given = given * li.score_maximum / maximum
        else:
            result.score_given = None
        result.score_maximum = li.score_maximum
        result.comment = comment if isinstance(comment, str) and comment else None
    else:
        if not gradable:
            raise ScoreError(422, "User not found in course or is not a student")
        if given is not None and maximum is None:
            raise ScoreError(422, "ScoreMaximum must be present if ScoreGiven is present")
        if maximum is not None and maximum < 0:
            raise ScoreError(422, "ScoreMaximum must be greater than or equal to 0")
        if result is not None and ts < as_utc(result.updated_at):
            raise ScoreError(
                400,
                "Provided timestamp of "
                f"{payload['timestamp']} before last updated timestamp of "
                f"{as_utc(result.updated_at).isoformat()}",
            )
        if result is None:
            result = Result(line_item_id=li.id, user_id=user.id)  # type: ignore[union-attr]
            s.add(result)
        if progress in ("FullyGraded", "PendingManual") and given is not None:
            result.score_given = given
            result.score_maximum = maximum
        elif given is None and progress in ("FullyGraded", "PendingManual"):
            result.score_given = None
        if isinstance(comment, str) and comment:
            result.comment = comment
    result.activity_progress = payload["activityProgress"]
    result.grading_progress = progress
    result.timestamp = ts
    result.updated_at = now
    result.by_teacher = False
    s.flush()
    return result


def _result_rows(
    li: LineItem,
) -> Select[int, str, float | None, float | None, str | None, datetime]:
    """The column's results with their users' LTI ids, the fields of :class:`ResultRow`."""
    return (
        select(
            Result.id,
            User.lti_id,
            Result.score_given,
            Result.score_maximum,
            Result.comment,
            Result.timestamp,
        )
        .join(User, User.id == Result.user_id)
        .where(Result.line_item_id == li.id)
    )


def results_page(
    s: Session,
    li: LineItem,
    user: User | None,
    offset: int,
    limit: int | None,
) -> tuple[list[ResultRow], int]:
    """A page of a column's results with their users' LTI ids (one join, one count), as
    plain values."""
    q = _result_rows(li)
    if user is not None:
        q = q.where(Result.user_id == user.id)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(Result.user_id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [ResultRow(*row) for row in s.execute(q)], int(total)


def result_row(s: Session, li: LineItem, result_id: int) -> ResultRow | None:
    """One result of the column ``li`` with its user's LTI id; None if it has no such one."""
    row = s.execute(_result_rows(li).where(Result.id == result_id)).first()
    return ResultRow(*row) if row is not None else None


# ---- tokens and nonces ---------------------------------------------------------------
def issue_access_token(
    s: Session, tool: Tool, scopes: Sequence[str], token: str | None = None, lifetime: int = 3600
) -> str:
    """Store a bearer token for ``tool`` (only its hash is kept)."""
    token = token or secrets.token_hex(16)
    s.add(
        AccessToken(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            tool_id=tool.id,
            scopes=" ".join(scopes),
            expires_at=utcnow() + timedelta(seconds=lifetime),
        )
    )
    s.flush()
    return token


def lookup_access_token(s: Session, token: str) -> AccessToken | None:
    """A live token, or None when unknown or expired."""
    row = s.get(AccessToken, hashlib.sha256(token.encode()).hexdigest())
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    return row


def use_nonce(s: Session, tool: Tool, kind: str, value: str, expires_at: datetime) -> bool:
    """Record a one-time value; False if it was already used (replay)."""
    s.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow() - timedelta(minutes=5)))
    try:
        with s.begin_nested():
            s.add(UsedNonce(tool_id=tool.id, kind=kind, value=value[:255], expires_at=expires_at))
    except IntegrityError:
        return False
    return True
