"""Tables of the sandbox platform: platforms, tools, courses, people, links, grades, tokens."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp is stored in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the sandbox's own metadata (separate from the tool's)."""


class Platform(Base):
    """One LMS instance hosted under ``/<slug>``, behaving as Moodle or Canvas."""

    __tablename__ = "sbx_platform"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    flavour: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    guid: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    keys: Mapped[list[PlatformKey]] = relationship(back_populates="platform")


class PlatformKey(Base):
    """An RSA key the platform signs id_tokens with; all keys are published, the newest signs."""

    __tablename__ = "sbx_platform_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="keys")


class Tool(Base):
    """A tool registered on a platform (a Moodle tool type, a Canvas developer key) with
    its one deployment (Moodle: the type id; Canvas: ``N:<context hex>``)."""

    __tablename__ = "sbx_tool"
    __table_args__ = (
        UniqueConstraint("platform_id", "client_id"),
        UniqueConstraint("platform_id", "deployment_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(100))
    deployment_id: Mapped[str] = mapped_column(String(100))
    login_url: Mapped[str] = mapped_column(Text)
    redirect_uris_json: Mapped[str] = mapped_column(Text, default="[]")
    target_link_uri: Mapped[str] = mapped_column(Text)
    deep_link_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    jwks_url: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text, default="")
    custom_json: Mapped[str] = mapped_column(Text, default="{}")
    # public | name_only | email_only | anonymous (Canvas's privacy levels; Moodle's
    # sendname/sendemailaddr map onto the same four).
    privacy_level: Mapped[str] = mapped_column(String(20), default="public")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[Platform] = relationship()

    @property
    def redirect_uris(self) -> list[str]:
        """Registered redirect URIs (launch, deep linking)."""
        return list(json.loads(self.redirect_uris_json or "[]"))

    @property
    def scope_set(self) -> set[str]:
        """Scopes the admin granted to this tool."""
        return set(self.scopes.split())

    @property
    def custom(self) -> dict[str, str]:
        """Custom parameters of the registration (before substitution)."""
        return dict(json.loads(self.custom_json or "{}"))


class User(Base):
    """A person on a platform. ``lti_id`` is the launch ``sub`` (Moodle: the user id; Canvas:
    a UUID); ``legacy_id`` is Canvas's 40-hex LTI 1.1 id, also its login_hint."""

    __tablename__ = "sbx_user"
    __table_args__ = (
        UniqueConstraint("platform_id", "login"),
        Index("ix_sbx_user_platform_lti", "platform_id", "lti_id"),
        Index("ix_sbx_user_sort", "family_name", "given_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"))
    login: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))
    lti_id: Mapped[str] = mapped_column(String(64))
    legacy_id: Mapped[str] = mapped_column(String(64))
    sis_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # The person's preferred language as the LMS spells it (Moodle's profile "lang", e.g.
    # "es" or "pt_br"; Canvas's user locale, e.g. "es", "ar", "pt-BR"): sent in every launch.
    lang: Mapped[str] = mapped_column(String(20), default="en", server_default="en")

    @property
    def name(self) -> str:
        """Full display name."""
        return f"{self.given_name} {self.family_name}"


class Course(Base):
    """A course; ``lti_context_id`` is the launch context id (Moodle: the course id)."""

    __tablename__ = "sbx_course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100))
    lti_context_id: Mapped[str] = mapped_column(String(64), index=True)
    sis_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[Platform] = relationship()


class Enrollment(Base):
    """A user's role in a course: ``teacher``, ``ta`` or ``student``."""

    __tablename__ = "sbx_enrollment"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        Index("ix_sbx_enrollment_course_role", "course_id", "role", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sbx_course.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")

    user: Mapped[User] = relationship()


class ResourceLink(Base):
    """The tool placed in a course (a Moodle activity, a Canvas assignment or module item)."""

    __tablename__ = "sbx_resource_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sbx_course.id"), index=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sbx_tool.id"), index=True)
    lti_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    custom_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tool: Mapped[Tool] = relationship()

    @property
    def custom(self) -> dict[str, str]:
        """Custom parameters set on this link (deep linking)."""
        return dict(json.loads(self.custom_json or "{}"))


class LineItem(Base):
    """A gradebook column. ``tool_id`` is None for columns that are not the tool's (native
    quizzes, manual columns): AGS never shows those. ``coupled`` marks a Canvas column made
    together with its assignment (AGS cannot delete it) or a Moodle activity's own grade item."""

    __tablename__ = "sbx_line_item"
    __table_args__ = (Index("ix_sbx_line_item_course_tool", "course_id", "tool_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sbx_course.id"))
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("sbx_tool.id"), nullable=True)
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("sbx_resource_link.id"), nullable=True, index=True
    )
    label: Mapped[str] = mapped_column(String(255))
    score_maximum: Mapped[float] = mapped_column(Float)
    tag: Mapped[str] = mapped_column(String(255), default="")
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    coupled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    resource_link: Mapped[ResourceLink | None] = relationship()


class Result(Base):
    """A learner's grade in a column. ``timestamp`` is the score's own time (the tool's, or the
    teacher's edit time); ``updated_at`` is when the platform stored it."""

    __tablename__ = "sbx_result"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("sbx_line_item.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"), index=True)
    score_given: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_maximum: Mapped[float | None] = mapped_column(Float, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    activity_progress: Mapped[str | None] = mapped_column(String(20), nullable=True)
    grading_progress: Mapped[str | None] = mapped_column(String(20), nullable=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_teacher: Mapped[bool] = mapped_column(Boolean, default=False)


class AccessToken(Base):
    """An OAuth 2 bearer token granted to a tool (stored as its SHA-256)."""

    __tablename__ = "sbx_access_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sbx_tool.id"), index=True)
    scopes: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    tool: Mapped[Tool] = relationship()


class UsedNonce(Base):
    """A ``jti`` of a client assertion or a ``nonce`` of a deep linking response, kept until it
    expires so a replay is refused (the unique constraint, not a check, decides)."""

    __tablename__ = "sbx_used_nonce"
    __table_args__ = (UniqueConstraint("tool_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sbx_tool.id"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RegistrationToken(Base):
    """A registration token the platform handed out for LTI Dynamic Registration: a JWT the
    platform signed, recorded here so it is single-use (``used_at``) and short-lived."""

    __tablename__ = "sbx_registration_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    # Moodle decides the client_id when it issues the token (the token's ``sub``).
    client_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ToolRegistration(Base):
    """How a dynamically registered tool came in: what it asked for and whether the admin has
    activated it yet (a Moodle tool type "Pending", a Canvas developer key "off")."""

    __tablename__ = "sbx_tool_registration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("sbx_tool.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | active
    request_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    tool: Mapped[Tool] = relationship()


class Activity(Base):
    """A course module that is not the tool's (a Moodle assignment or quiz): its ``id`` is the
    cmid, ``line_item_id`` its grade column; ``completion`` is Moodle's tracking mode (0 none,
    1 manual, 2 automatic); ``course_criterion`` makes completing it complete the course."""

    __tablename__ = "sbx_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sbx_course.id"), index=True)
    modname: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(255))
    line_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("sbx_line_item.id"), nullable=True, unique=True
    )
    completion: Mapped[int] = mapped_column(Integer, default=0)
    course_criterion: Mapped[bool] = mapped_column(Boolean, default=False)


class ActivityCompletion(Base):
    """A learner's completion state of an activity (Moodle: 0 incomplete, 1 complete,
    2 complete with a pass grade, 3 complete with a fail grade)."""

    __tablename__ = "sbx_activity_completion"
    __table_args__ = (UniqueConstraint("activity_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("sbx_activity.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"), index=True)
    state: Mapped[int] = mapped_column(Integer, default=0)
    time_completed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WsSite(Base):
    """A platform's web service switches (Moodle: off until an admin enables web services
    and the REST protocol)."""

    __tablename__ = "sbx_ws_site"

    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), primary_key=True)
    rest_enabled: Mapped[bool] = mapped_column(Boolean, default=False)


class WsToken(Base):
    """A web service token of a dedicated user: the functions of its external service and
    the capabilities its system role holds (JSON lists)."""

    __tablename__ = "sbx_ws_token"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    functions_json: Mapped[str] = mapped_column(Text, default="[]")
    capabilities_json: Mapped[str] = mapped_column(Text, default="[]")
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def functions(self) -> set[str]:
        """The external service's functions."""
        return set(json.loads(self.functions_json or "[]"))

    @property
    def capabilities(self) -> set[str]:
        """The capabilities the token's user holds at system level."""
        return set(json.loads(self.capabilities_json or "[]"))


class ApiToken(Base):
    """A Canvas API access token of a user (a developer's personal token or an OAuth 2 one):
    it carries that user's permissions. ``bucket``/``cost``/``leak`` emulate Canvas's
    leaky-bucket throttle (``X-Rate-Limit-Remaining``; 403 when it runs dry)."""

    __tablename__ = "sbx_api_token"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    bucket: Mapped[float] = mapped_column(Float, default=700.0)
    capacity: Mapped[float] = mapped_column(Float, default=700.0)
    cost: Mapped[float] = mapped_column(Float, default=1.0)
    leak: Mapped[float] = mapped_column(Float, default=10.0)  # units per second
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    throttled: Mapped[int] = mapped_column(Integer, default=0)  # 403s served, for tests
    # OAuth 2 tokens: the developer key, the granted scopes (JSON list) and the refresh token
    # (a new access token keeps it; deleting the token deletes both, as in Canvas).
    developer_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("sbx_developer_key.id"), nullable=True
    )
    scopes_json: Mapped[str] = mapped_column(Text, default="[]")
    refresh_token: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)

    @property
    def scopes(self) -> set[str]:
        """The scopes granted with the token."""
        return set(json.loads(self.scopes_json or "[]"))


class DeveloperKey(Base):
    """A Canvas API developer key (Admin > Developer Keys > + API Key): its client id is the
    row id (Canvas numbers keys ``10000000000001``…), a secret, the redirect URIs, and the
    scopes it allows when ``require_scopes`` ("Enforce Scopes") is on. Off until enabled."""

    __tablename__ = "sbx_developer_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("sbx_platform.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    secret: Mapped[str] = mapped_column(String(100))
    redirect_uris_json: Mapped[str] = mapped_column(Text, default="[]")
    scopes_json: Mapped[str] = mapped_column(Text, default="[]")
    require_scopes: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_lifetime: Mapped[int] = mapped_column(Integer, default=3600)  # seconds

    @property
    def client_id(self) -> str:
        """The key's client id as Canvas shows it."""
        return str(API_KEY_ID_BASE + self.id)

    @property
    def redirect_uris(self) -> list[str]:
        """Where codes may be sent."""
        return list(json.loads(self.redirect_uris_json or "[]"))

    @property
    def scopes(self) -> set[str]:
        """The scopes the key allows (all, when it does not enforce them)."""
        return set(json.loads(self.scopes_json or "[]"))


API_KEY_ID_BASE = 170000000000000  # Canvas cloud's developer key ids: shard 17


class OAuthCode(Base):
    """An authorization code (Canvas keeps them 10 minutes in Redis), single use."""

    __tablename__ = "sbx_oauth_code"

    code: Mapped[str] = mapped_column(String(140), primary_key=True)
    developer_key_id: Mapped[int] = mapped_column(ForeignKey("sbx_developer_key.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"))
    scopes_json: Mapped[str] = mapped_column(Text, default="[]")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Module(Base):
    """A Canvas module of a course; its items carry the completion requirements."""

    __tablename__ = "sbx_module"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("sbx_course.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=1)


class ModuleItem(Base):
    """An item of a module: an assignment (``line_item_id``) or a page. ``requirement`` is
    Canvas's completion requirement type ("min_score", "must_mark_done", or None)."""

    __tablename__ = "sbx_module_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("sbx_module.id"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    line_item_id: Mapped[int | None] = mapped_column(ForeignKey("sbx_line_item.id"), nullable=True)
    requirement: Mapped[str | None] = mapped_column(String(30), nullable=True)
    min_score: Mapped[float | None] = mapped_column(Float, nullable=True)


class ModuleItemDone(Base):
    """A learner marked a "must_mark_done" item done."""

    __tablename__ = "sbx_module_item_done"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("sbx_module_item.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("sbx_user.id"), index=True)
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def as_utc(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored datetime is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    """Compact JSON for the *_json columns."""
    return json.dumps(value, separators=(",", ":"))
