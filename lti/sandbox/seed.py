"""Python API for the demo launcher and the tests: seed platforms, courses and grades, and
hand the tool the registration it needs (pylti1p3's config.json)."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import select

from lti.sandbox import keys
from lti.sandbox import launch as launches
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.db import session_scope
from lti.sandbox.flavours import flavour_of
from lti.sandbox.flavours.base import issuer
from lti.sandbox.models import (
    Activity,
    ActivityCompletion,
    ApiToken,
    Course,
    DeveloperKey,
    Enrollment,
    LineItem,
    Module,
    ModuleItem,
    ModuleItemDone,
    Platform,
    ResourceLink,
    Tool,
    User,
    WsSite,
    WsToken,
    dumps,
    utcnow,
)
from lti.sandbox.moodle_ws import IMPLEMENTED

# Fixed registrations, so a committed config.json can name them.
MOODLE_CLIENT_ID = "sbxMoodleBdgBr1"  # Moodle's client ids are 15 random letters and digits
MOODLE_DEPLOYMENT_ID = "1"  # Moodle's deployment id is the tool type id
CANVAS_CLIENT_ID = "10000000000001"  # Canvas developer key ids (shard 1, key 1)
CANVAS_DEPLOYMENT_ID = "1:" + hashlib.sha1(b"sandbox:canvas:account").hexdigest()
TOOL_NAME = "Badgebridge"
DEMO_COLUMNS = (("Quiz 1", 10.0), ("Quiz 2", 10.0), ("Project", 100.0))
# Canvas custom variables the tool's developer key asks for.
CANVAS_CUSTOM = {"canvas_course_id": "$Canvas.course.id", "canvas_user_id": "$Canvas.user.id"}
# The custom parameter line the README asks Moodle admins to add to the tool (the demo's
# Moodle tool is registered without it, as the captured Moodle's was: see set_tool_custom).
MOODLE_CUSTOM = {"course_id": "$Context.id"}


@dataclass
class PlatformInfo:
    """What the tool needs to know of one sandbox platform."""

    slug: str
    flavour: str
    issuer: str
    client_id: str
    deployment_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str
    key_set_url: str
    openid_configuration_url: str
    course_ids: list[int] = field(default_factory=list)
    resource_link_ids: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class CourseInfo:
    """A created course: ids the tests and benchmarks need."""

    slug: str
    course_id: int
    context_id: str
    teacher_login: str
    ta_login: str | None
    learner_logins: list[str]
    resource_link_id: int | None
    resource_link_lti_id: str | None
    line_item_ids: list[int]


def _base(app: Flask) -> str:
    return str(app.config["SANDBOX_BASE_URL"]).rstrip("/")


def _platform(s: object, slug: str) -> Platform:
    platform = ops.get_platform(s, slug)  # type: ignore[arg-type]
    if platform is None:
        raise LookupError(f"no sandbox platform {slug!r}")
    return platform


def _tool(s: object, platform: Platform, client_id: str | None = None) -> Tool:
    tools = ops.tools_of(s, platform)  # type: ignore[arg-type]
    for t in tools:
        if client_id is None or t.client_id == client_id:
            return t
    raise LookupError(f"no tool {client_id or ''} on {platform.slug}")


def platform_info(app: Flask, slug: str, client_id: str | None = None) -> PlatformInfo:
    """The PlatformInfo of an existing platform and its (first or named) tool."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        tool = _tool(s, platform, client_id)
        flavour = flavour_of(platform.flavour)
        iss = issuer(_base(app), platform)
        courses = list(
            s.scalars(
                select(Course.id).where(Course.platform_id == platform.id).order_by(Course.id)
            )
        )
        links: dict[int, list[str]] = {}
        for cid, lti_id in s.execute(
            select(ResourceLink.course_id, ResourceLink.lti_id)
            .where(ResourceLink.tool_id == tool.id)
            .order_by(ResourceLink.id)
        ):
            links.setdefault(cid, []).append(lti_id)
        return PlatformInfo(
            slug=slug,
            flavour=platform.flavour,
            issuer=iss,
            client_id=tool.client_id,
            deployment_id=tool.deployment_id,
            auth_login_url=flavour.auth_url(iss),
            auth_token_url=flavour.token_url(iss),
            auth_audience=flavour.token_url(iss),
            key_set_url=flavour.jwks_url(iss),
            openid_configuration_url=f"{iss}/.well-known/openid-configuration",
            course_ids=courses,
            resource_link_ids=links,
        )


def register_tool(
    app: Flask,
    slug: str,
    tool_base_url: str,
    *,
    client_id: str,
    deployment_id: str,
    flavour: str | None = None,
    name: str = TOOL_NAME,
    scopes: Sequence[str] | None = None,
    privacy_level: str = "public",
    custom: dict[str, str] | None = None,
    jwks_url: str | None = None,
) -> None:
    """Create the platform if needed and register the tool at ``tool_base_url`` on it (login
    ``/lti/login``, launch and deep linking ``/lti/launch``, keys ``/lti/jwks.json``)."""
    tool_base = tool_base_url.rstrip("/")
    with session_scope(app) as s:
        platform = ops.get_platform(s, slug) or ops.create_platform(s, slug, flavour or slug)
        ops.register_tool(
            s,
            platform,
            name=name,
            client_id=client_id,
            deployment_id=deployment_id,
            login_url=f"{tool_base}/lti/login",
            redirect_uris=[f"{tool_base}/lti/launch"],
            target_link_uri=f"{tool_base}/lti/launch",
            jwks_url=jwks_url or f"{tool_base}/lti/jwks.json",
            deep_link_url=f"{tool_base}/lti/launch",
            scopes=scopes or v.DEFAULT_TOOL_SCOPES,
            privacy_level=privacy_level,
            custom=custom
            if custom is not None
            else (CANVAS_CUSTOM if platform.flavour == "canvas" else {}),
        )


def create_course(
    app: Flask,
    slug: str,
    title: str,
    learners: int = 30,
    *,
    teachers: int = 1,
    tas: int = 1,
    columns: Sequence[tuple[str, float]] = DEMO_COLUMNS,
    score_fraction: float = 0.85,
    client_id: str | None = None,
    link_title: str = TOOL_NAME,
    seed: int = 0,
) -> CourseInfo:
    """A course with people, the tool placed in it, ``columns`` belonging to the tool and
    scores for about ``score_fraction`` of the learners, all deterministic and bulk-inserted
    (10,000 learners x 10 columns takes seconds).

    Moodle: the columns hang off the tool's activity (``resourceLinkId``), as line items a
    tool adds to its activity. Canvas: all but the last are columns the tool created through
    AGS; the last is an assignment launching the tool (its line item is coupled)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        tool = _tool(s, platform, client_id)
        course = ops.create_course(
            s, platform, title, learners=learners, teachers=teachers, tas=tas
        )
        link = ops.add_resource_link(
            s, course, tool, link_title, description="Badges for this course"
        )
        item_ids: list[int] = []
        for i, (label, maximum) in enumerate(columns):
            if platform.flavour == "moodle":
                li = ops.add_line_item(s, course, tool, label, maximum, resource_link=link)
            elif i == len(columns) - 1:
                assignment = ops.add_resource_link(
                    s, course, tool, label, description=f"<p>{label}</p>"
                )
                li = ops.add_line_item(
                    s, course, tool, label, maximum, resource_link=assignment, coupled=True
                )
            else:
                li = ops.add_line_item(s, course, tool, label, maximum)
            item_ids.append(li.id)
        rows = s.execute(
            select(Enrollment.user_id, Enrollment.role, User.login)
            .join(User, User.id == Enrollment.user_id)
            .where(Enrollment.course_id == course.id)
            .order_by(Enrollment.id)
        ).all()
        students = [(uid, login) for uid, role, login in rows if role == "student"]
        rng = random.Random(f"{slug}:{title}:{seed}")
        now = utcnow().replace(microsecond=0)
        grades = []
        for li_id, (_label, maximum) in zip(item_ids, columns, strict=True):
            for uid, _login in students:
                if rng.random() >= score_fraction:
                    continue
                given = round(rng.uniform(0.35, 1.0) * maximum, 1)
                grades.append(
                    {
                        "line_item_id": li_id,
                        "user_id": uid,
                        "score_given": given,
                        "score_maximum": maximum,
                        "timestamp": now
                        - timedelta(days=rng.randint(1, 20), seconds=rng.randint(0, 86399)),
                    }
                )
        ops.bulk_results(s, grades)
        teacher = next(login for _u, role, login in rows if role == "teacher")
        ta = next((login for _u, role, login in rows if role == "ta"), None)
        return CourseInfo(
            slug=slug,
            course_id=course.id,
            context_id=course.lti_context_id,
            teacher_login=teacher,
            ta_login=ta,
            learner_logins=[lg for _u, lg in students],
            resource_link_id=link.id,
            resource_link_lti_id=link.lti_id,
            line_item_ids=item_ids,
        )


def enroll(app: Flask, slug: str, course_id: int, user_login: str, role: str) -> None:
    """Enrol an existing user of the platform in another course (``teacher``, ``ta`` or
    ``student``): e.g. a learner of one course who teaches another."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        course = s.get(Course, course_id)
        user = ops.find_user(s, platform, user_login)
        if course is None or course.platform_id != platform.id or user is None:
            raise LookupError(f"no course {course_id} or user {user_login!r} on {slug}")
        ops.enroll(s, course, user, role)


def seed_demo(app: Flask, tool_base_url: str, learners: int = 30) -> list[PlatformInfo]:
    """Idempotent demo: platforms ``moodle`` and ``canvas`` with the tool registered under
    fixed ids, and one demo course each (instructor, TA, ``learners`` learners, three graded
    columns with scores)."""
    registrations = (
        ("moodle", MOODLE_CLIENT_ID, MOODLE_DEPLOYMENT_ID, "Introduction to Data Science"),
        ("canvas", CANVAS_CLIENT_ID, CANVAS_DEPLOYMENT_ID, "Foundations of Chemistry"),
    )
    out = []
    for slug, client_id, deployment_id, title in registrations:
        register_tool(
            app, slug, tool_base_url, client_id=client_id, deployment_id=deployment_id, flavour=slug
        )
        with session_scope(app) as s:
            platform = _platform(s, slug)
            has_course = s.scalar(select(Course.id).where(Course.platform_id == platform.id))
        if not has_course:
            create_course(app, slug, title, learners=learners, client_id=client_id)
        out.append(platform_info(app, slug, client_id))
    return out


def set_score(
    app: Flask,
    slug: str,
    course_id: int,
    line_item_id: int,
    user_login_or_id: str | int,
    score: float | None,
    comment: str | None = None,
) -> None:
    """A teacher's grade in the gradebook (overrides what the tool sent; new timestamp)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        li = s.get(LineItem, line_item_id)
        user = ops.find_user(s, platform, user_login_or_id)
        if li is None or li.course_id != course_id or user is None:
            raise LookupError("no such column or user in that course")
        ops.teacher_grade(s, platform.flavour, li, user, score, comment)


def add_column(
    app: Flask,
    slug: str,
    course_id: int,
    label: str,
    score_maximum: float,
    *,
    for_tool: bool = False,
) -> int:
    """Add a gradebook column: a manual one (invisible to AGS) or, ``for_tool``, a graded
    activity/assignment of the tool. Returns the line item id."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        course = s.get(Course, course_id)
        if course is None or course.platform_id != platform.id:
            raise LookupError("no such course")
        tool = _tool(s, platform) if for_tool else None
        link = ops.add_resource_link(s, course, tool, label) if tool else None
        return ops.add_line_item(
            s, course, tool, label, score_maximum, resource_link=link, coupled=tool is not None
        ).id


def platform_private_key(app: Flask, slug: str) -> tuple[str, str]:
    """(kid, private key PEM) the platform signs with (tests forge tokens with it)."""
    with session_scope(app) as s:
        key = keys.signing_key(s, _platform(s, slug))
        return key.kid, key.private_pem


def rotate_platform_key(app: Flask, slug: str) -> str:
    """Give the platform a new signing key; the old one stays published. Returns the new kid."""
    with session_scope(app) as s:
        return keys.add_platform_key(s, _platform(s, slug)).kid


def launch_url(
    app: Flask,
    slug: str,
    course_id: int,
    user_login_or_id: str | int,
    resource_link_id: int | str | None = None,
    message_type: str = v.MSG_RESOURCE_LINK,
    placement: str | None = None,
    client_id: str | None = None,
) -> str:
    """Absolute URL that starts a launch (it answers the auto-submitting login initiation).
    ``resource_link_id`` is the link's row id or LTI id; a resource link launch without one
    uses the course's first link of the tool."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        tool = _tool(s, platform, client_id)
        course = s.get(Course, course_id)
        user = ops.find_user(s, platform, user_login_or_id)
        if course is None or user is None:
            raise LookupError("no such course or user")
        link = None
        if message_type == v.MSG_RESOURCE_LINK:
            q = select(ResourceLink).where(
                ResourceLink.course_id == course.id, ResourceLink.tool_id == tool.id
            )
            if resource_link_id is not None:
                key = str(resource_link_id)
                by_lti = s.scalars(q.where(ResourceLink.lti_id == key)).first()
                link = by_lti or (s.get(ResourceLink, int(key)) if key.isdigit() else None)
            else:
                link = s.scalars(q.order_by(ResourceLink.id)).first()
            if link is None:
                raise LookupError("no such resource link")
        hint = launches.message_hint(
            platform, tool, course, user, link, message_type, placement=placement, app=app
        )
    return f"{_base(app)}/{slug}/lti/initiate?{urlencode({'hint': hint})}"


def set_user_language(app: Flask, slug: str, user_login_or_id: str | int, lang: str) -> None:
    """Set a person's preferred language, as they would in their LMS profile (Moodle: "es",
    "pt_br"; Canvas: "es", "ar", "pt-BR"); their next launches carry it as the locale."""
    with session_scope(app) as s:
        user = ops.find_user(s, _platform(s, slug), user_login_or_id)
        if user is None:
            raise LookupError("no such user")
        user.lang = lang


def course_url(app: Flask, slug: str, course_id: int, user_login: str) -> str:
    """The course page as ``user_login``."""
    return f"{_base(app)}/{slug}/course/{course_id}?{urlencode({'as': user_login})}"


def write_tool_config(
    platforms: Sequence[PlatformInfo], path: str | Path
) -> dict[str, list[dict[str, object]]]:
    """Write pylti1p3's config.json for ``platforms`` (no tool keys: the tool keeps its own in
    its database). Returns the written document."""
    doc: dict[str, list[dict[str, object]]] = {}
    for p in platforms:
        entries = doc.setdefault(p.issuer, [])
        entries.append(
            {
                "default": not entries,
                "client_id": p.client_id,
                "auth_login_url": p.auth_login_url,
                "auth_token_url": p.auth_token_url,
                "auth_audience": p.auth_audience,
                "key_set_url": p.key_set_url,
                "key_set": None,
                "deployment_ids": [p.deployment_id],
            }
        )
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def info_as_dict(info: PlatformInfo) -> dict[str, object]:
    """A PlatformInfo as plain JSON-able data."""
    return asdict(info)


# ---- dynamic registration ------------------------------------------------------------
def create_platform(app: Flask, slug: str, flavour: str, name: str | None = None) -> str:
    """Create the platform ``/<slug>`` (no tool yet) if it does not exist; its issuer."""
    with session_scope(app) as s:
        platform = ops.create_platform(s, slug, flavour, name)
        return issuer(_base(app), platform)


def start_registration(app: Flask, slug: str, ttl: int | None = None) -> tuple[str, str]:
    """What the "Register a tool" page hands the tool: ``(openid_configuration URL,
    registration_token)``, the token single-use and valid ``ttl`` seconds (default: an hour,
    as in Moodle and Canvas)."""
    from lti.sandbox import dynreg

    with session_scope(app) as s:
        platform = _platform(s, slug)
        issued = dynreg.issue_token(
            s, platform, ttl if ttl is not None else dynreg.DEFAULT_TOKEN_TTL
        )
        return (
            dynreg.configuration_url(platform.flavour, issuer(_base(app), platform)),
            issued.token,
        )


def activate_tool(app: Flask, slug: str, client_id: str) -> str:
    """The admin activates (Moodle) or enables and deploys (Canvas) a registered tool, which
    is then placed in every course; returns its deployment id."""
    from lti.sandbox import dynreg

    with session_scope(app) as s:
        return dynreg.activate(s, _platform(s, slug), client_id).deployment_id


def deactivate_tool(app: Flask, slug: str, client_id: str) -> None:
    """Turn a tool off: its launches and service tokens are refused."""
    from lti.sandbox import dynreg

    with session_scope(app) as s:
        dynreg.deactivate(s, _platform(s, slug), client_id)


def tool_state(app: Flask, slug: str, client_id: str) -> dict[str, object]:
    """A tool as the platform sees it (pending ones included): for tests and the demo."""
    from lti.sandbox import dynreg

    with session_scope(app) as s:
        platform = _platform(s, slug)
        for tool, record in dynreg.all_tools(s, platform):
            if tool.client_id == client_id:
                return {
                    "name": tool.name,
                    "client_id": tool.client_id,
                    "active": tool.active,
                    "deployment_id": tool.deployment_id,
                    "scopes": sorted(tool.scope_set),
                    "privacy_level": tool.privacy_level,
                    "custom": tool.custom,
                    "redirect_uris": tool.redirect_uris,
                    "jwks_url": tool.jwks_url,
                    "login_url": tool.login_url,
                    "deep_link_url": tool.deep_link_url,
                    "status": record.status if record else "manual",
                }
        raise LookupError(f"no tool {client_id!r} on {slug}")


# ---- Moodle web services ---------------------------------------------------------------------

# What shared/lti/README.md's web-service role holds: course access, grades, completion, and
# mod/<type>:view of every activity type the sandbox has.
WS_CAPABILITIES = (
    "webservice/rest:use",
    "moodle/course:view",
    "gradereport/user:view",
    "moodle/grade:viewall",
    "moodle/grade:view",
    "moodle/grade:viewhidden",
    "report/progress:view",
    "report/completion:view",
    "mod/assign:view",
    "mod/quiz:view",
    "mod/lti:view",
)


def set_web_services(app: Flask, slug: str, *, rest_enabled: bool) -> None:
    """Turn web services and the REST protocol on or off (Moodle: off by default)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        site = s.get(WsSite, platform.id) or WsSite(platform_id=platform.id)
        site.rest_enabled = rest_enabled
        s.add(site)


def create_ws_token(
    app: Flask,
    slug: str,
    *,
    functions: Sequence[str] | None = None,
    capabilities: Sequence[str] = WS_CAPABILITIES,
) -> str:
    """A permanent token of a web service user whose service has ``functions`` (default:
    all the sandbox serves) and whose system role holds ``capabilities``."""
    token = secrets.token_hex(16)
    with session_scope(app) as s:
        platform = _platform(s, slug)
        s.add(
            WsToken(
                token=token,
                platform_id=platform.id,
                functions_json=json.dumps(list(functions or IMPLEMENTED)),
                capabilities_json=json.dumps(list(capabilities)),
            )
        )
    return token


def update_ws_token(
    app: Flask,
    token: str,
    *,
    capabilities: Sequence[str] | None = None,
    functions: Sequence[str] | None = None,
    suspended: bool | None = None,
) -> None:
    """Change what a token's user may do (a role edited, a service changed, a suspension)."""
    with session_scope(app) as s:
        row = s.get(WsToken, token)
        if row is None:
            raise LookupError("no such token")
        if capabilities is not None:
            row.capabilities_json = json.dumps(list(capabilities))
        if functions is not None:
            row.functions_json = json.dumps(list(functions))
        if suspended is not None:
            row.suspended = suspended


def delete_ws_token(app: Flask, token: str) -> None:
    """Delete a token (Manage tokens > Delete)."""
    with session_scope(app) as s:
        row = s.get(WsToken, token)
        if row is not None:
            s.delete(row)


def add_activity(
    app: Flask,
    slug: str,
    course_id: int,
    name: str,
    *,
    modname: str = "assign",
    maximum: float | None = 100.0,
    completion: int = 1,
    course_criterion: bool = False,
) -> tuple[int, int | None]:
    """A native activity (not the tool's) with its grade column when ``maximum`` is given;
    returns (cmid, line item id)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        course = s.get(Course, course_id)
        if course is None or course.platform_id != platform.id:
            raise LookupError("no such course")
        li = ops.add_line_item(s, course, None, name, maximum) if maximum else None
        activity = Activity(
            course_id=course.id,
            modname=modname,
            name=name,
            line_item_id=li.id if li else None,
            completion=completion,
            course_criterion=course_criterion,
        )
        s.add(activity)
        s.flush()
        return activity.id, li.id if li else None


def set_completion(
    app: Flask, slug: str, cmid: int, user_login_or_id: str | int, state: int
) -> None:
    """A learner's completion state of an activity (1: marked complete, 0: not)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        user = ops.find_user(s, platform, user_login_or_id)
        if user is None or s.get(Activity, cmid) is None:
            raise LookupError("no such activity or user")
        row = s.scalars(
            select(ActivityCompletion).where(
                ActivityCompletion.activity_id == cmid, ActivityCompletion.user_id == user.id
            )
        ).first() or ActivityCompletion(activity_id=cmid, user_id=user.id)
        row.state = state
        row.time_completed = utcnow().replace(microsecond=0) if state else None
        s.add(row)


DEMO_QUIZ = "Quiz: Python basics"


def seed_native_quiz(app: Flask, slug: str) -> tuple[CourseInfo | None, str]:
    """The demo's native Moodle quiz (idempotent): in the platform's first course, a quiz out
    of 10 that is not the tool's, graded for every learner and completed by most, with web
    services and REST on and one web-service token. Returns (the course's ids, the token)."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        course = s.scalars(
            select(Course).where(Course.platform_id == platform.id).order_by(Course.id)
        ).first()
        if course is None:
            return None, ""
        course_id, context_id = course.id, course.lti_context_id
        quiz = s.scalars(
            select(Activity).where(Activity.course_id == course_id, Activity.name == DEMO_QUIZ)
        ).first()
        token = s.scalar(select(WsToken.token).where(WsToken.platform_id == platform.id))
        learners = [
            login
            for login, role in s.execute(
                select(User.login, Enrollment.role)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == course_id)
                .order_by(User.id)
            )
            if role == "student"
        ]
        teacher = s.scalar(
            select(User.login)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course_id, Enrollment.role == "teacher")
        )
    set_web_services(app, slug, rest_enabled=True)
    token = token or create_ws_token(app, slug)
    if quiz is None:
        cmid, line_item = add_activity(
            app, slug, course_id, DEMO_QUIZ, modname="quiz", maximum=10.0, completion=1
        )
        for i, login in enumerate(learners):
            score = float((3 + i * 7) % 11)  # 0..10, about a third at 8 or more
            set_score(app, slug, course_id, int(line_item or 0), login, score)
            set_completion(app, slug, cmid, login, 1 if score >= 5 else 0)
    info = CourseInfo(slug, course_id, context_id, str(teacher), None, learners, None, None, [])
    return info, token


# ---- Canvas REST API -------------------------------------------------------------------------


def create_api_token(
    app: Flask,
    slug: str,
    user_login_or_id: str | int,
    *,
    capacity: float = 700.0,
    cost: float = 1.0,
    leak: float = 10.0,
    expires_in: timedelta | None = None,
) -> str:
    """A Canvas access token of a user (Account > Settings > New access token), with the
    throttle's bucket size, cost per request and leak rate."""
    token = f"1~{secrets.token_urlsafe(48)}"
    with session_scope(app) as s:
        platform = _platform(s, slug)
        user = ops.find_user(s, platform, user_login_or_id)
        if user is None:
            raise LookupError("no such user")
        s.add(
            ApiToken(
                token=token,
                platform_id=platform.id,
                user_id=user.id,
                bucket=capacity,
                capacity=capacity,
                cost=cost,
                leak=leak,
                expires_at=utcnow() + expires_in if expires_in else None,
            )
        )
    return token


def api_token_throttled(app: Flask, token: str) -> int:
    """How many requests of ``token`` the throttle refused."""
    with session_scope(app) as s:
        return s.get_one(ApiToken, token).throttled


def set_tool_custom(app: Flask, slug: str, custom: dict[str, str]) -> dict[str, str]:
    """Set the custom parameters of the platform's tool (Moodle: the tool's "Custom
    parameters" box); returns the previous ones."""
    with session_scope(app) as s:
        tool = _tool(s, _platform(s, slug))
        before = tool.custom
        tool.custom_json = dumps(custom)
        return before


def create_developer_key(
    app: Flask,
    slug: str,
    redirect_uri: str,
    *,
    name: str = "Badgebridge gradebook",
    scopes: Sequence[str] = (),
    require_scopes: bool = False,
    token_lifetime: int = 3600,
) -> tuple[str, str]:
    """A Canvas API developer key (Admin > Developer Keys > + API Key), state ON: its client
    id and secret."""
    with session_scope(app) as s:
        platform = _platform(s, slug)
        key = DeveloperKey(
            platform_id=platform.id,
            name=name,
            secret=secrets.token_urlsafe(48),
            redirect_uris_json=dumps([redirect_uri]),
            scopes_json=dumps(list(scopes)),
            require_scopes=require_scopes,
            token_lifetime=token_lifetime,
        )
        s.add(key)
        s.flush()
        return key.client_id, key.secret


def oauth_tokens_of(app: Flask, slug: str, user_login_or_id: str | int) -> list[str]:
    """The user's OAuth access tokens (for tests: expire or revoke them)."""
    with session_scope(app) as s:
        user = ops.find_user(s, _platform(s, slug), user_login_or_id)
        if user is None:
            raise LookupError("no such user")
        return list(
            s.scalars(
                select(ApiToken.token).where(
                    ApiToken.user_id == user.id, ApiToken.developer_key_id.is_not(None)
                )
            )
        )


def expire_api_token(app: Flask, token: str) -> None:
    """Let an access token run out (as an hour passing would)."""
    with session_scope(app) as s:
        s.get_one(ApiToken, token).expires_at = utcnow() - timedelta(seconds=1)


def add_module(
    app: Flask,
    slug: str,
    course_id: int,
    name: str,
    items: Sequence[tuple[str, int | None, str | None, float | None]],
) -> int:
    """A module with items (title, line item id or None for a page, requirement type or None,
    min_score); its id."""
    with session_scope(app) as s:
        _platform(s, slug)
        position = 1 + len(list(s.scalars(select(Module.id).where(Module.course_id == course_id))))
        module = Module(course_id=course_id, name=name, position=position)
        s.add(module)
        s.flush()
        for title, line_item_id, requirement, min_score in items:
            s.add(
                ModuleItem(
                    module_id=module.id,
                    title=title,
                    line_item_id=line_item_id,
                    requirement=requirement,
                    min_score=min_score,
                )
            )
        return module.id


def mark_done(app: Flask, slug: str, module_id: int, title: str, user_login_or_id: str) -> None:
    """The learner marks a module's "must mark done" item done."""
    with session_scope(app) as s:
        user = ops.find_user(s, _platform(s, slug), user_login_or_id)
        if user is None:
            raise LookupError("no such user")
        item = s.scalars(
            select(ModuleItem).where(ModuleItem.module_id == module_id, ModuleItem.title == title)
        ).one()
        s.add(ModuleItemDone(item_id=item.id, user_id=user.id))
