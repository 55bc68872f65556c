"""What both flavours share: the launch context, substitution, number and time formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from lti.sandbox.models import Course, LineItem, Platform, ResourceLink, Tool, User


@dataclass
class LaunchContext:
    """Everything a launch's claims are made of."""

    base_url: str
    platform: Platform
    tool: Tool
    course: Course
    user: User
    role: str  # teacher | ta | student
    message_type: str
    nonce: str
    target_link_uri: str
    resource_link: ResourceLink | None = None
    link_line_items: list[LineItem] = field(default_factory=list)
    placement: str | None = None
    deep_link_return_url: str | None = None
    deep_link_data: str | None = None
    now: int = 0
    # The user's enrolment roles in every course of the platform (Canvas's institution roles).
    account_roles: frozenset[str] = frozenset()

    @property
    def issuer(self) -> str:
        """The platform's issuer: ``<base>/<slug>``."""
        return issuer(self.base_url, self.platform)


def issuer(base_url: str, platform: Platform) -> str:
    """``<base>/<slug>``: every platform URL starts with it."""
    return f"{base_url.rstrip('/')}/{platform.slug}"


def num(value: float | None) -> float | int | None:
    """Integral floats as ints (``10`` not ``10.0``), as both products serialise them."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def iso(dt: datetime) -> str:
    """``2026-11-24T00:11:45+00:00`` (PHP's ``date('c')``, Rails' ``iso8601``)."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


_VAR = re.compile(r"^\$[A-Za-z][\w.]*$")


def substitute(
    params: dict[str, str], resolvers: dict[str, Callable[[], str | None]]
) -> dict[str, str]:
    """Expand ``$Variable`` values; unknown or unresolvable variables stay literal, as in
    Moodle and Canvas."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, str) and _VAR.match(value) and value[1:] in resolvers:
            resolved = resolvers[value[1:]]()
            out[key] = value if resolved is None else str(resolved)
        else:
            out[key] = value
    return out


def common_resolvers(ctx: LaunchContext) -> dict[str, Callable[[], str | None]]:
    """Substitution variables both products support."""
    u, c, rl = ctx.user, ctx.course, ctx.resource_link
    return {
        "Context.id": lambda: c.lti_context_id,
        "Context.title": lambda: c.title,
        "Context.label": lambda: c.label,
        "CourseSection.sourcedId": lambda: c.sis_id,
        "ResourceLink.id": lambda: rl.lti_id if rl else None,
        "ResourceLink.title": lambda: rl.title if rl else None,
        "ResourceLink.description": lambda: rl.description if rl else None,
        "User.id": lambda: u.lti_id,
        "User.username": lambda: u.login,
        "Person.name.full": lambda: u.name,
        "Person.name.given": lambda: u.given_name,
        "Person.name.family": lambda: u.family_name,
        "Person.email.primary": lambda: u.email,
        "Person.sourcedId": lambda: u.sis_id,
    }


def shares_name(tool: Tool) -> bool:
    """Whether the tool's privacy setting lets names through."""
    return tool.privacy_level in ("public", "name_only")


def shares_email(tool: Tool) -> bool:
    """Whether the tool's privacy setting lets emails through."""
    return tool.privacy_level in ("public", "email_only")


@dataclass
class Page:
    """One page of a paged collection and the links to the next one."""

    items: list[Any]
    next_url: str | None = None
    link_header: str | None = None


@dataclass
class MemberRow:
    """A course member as NRPS serialises it."""

    user: User
    role: str
    status: str


class ResultRow(NamedTuple):
    """A result's values for serialisation, with its user's LTI id: read as plain columns
    (a column of 10,000 results is served without building an ORM object per row)."""

    id: int
    user_lti_id: str
    score_given: float | None
    score_maximum: float | None
    comment: str | None
    timestamp: datetime
