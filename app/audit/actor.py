"""Who acts: the value an audited change is recorded under, passed down from where it is known.

A view or a CLI command names the actor once (:meth:`Actor.from_request`, or one of the
constants below) and hands it to the services, which record it as given; nothing below the
view reads the request to find out who is acting. ``str(actor)`` is the form the audit trail
stores (and hashes), e.g. ``api_key:…``, ``admin:…``, ``lti_user:…``, ``staff:…``,
``system:pipeline``, ``cli``.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import g, has_request_context
from sqlalchemy import select

from app.extensions import db
from app.models.course import LtiUser


@dataclass(frozen=True)
class Actor:
    """``kind`` (``api_key``, ``admin``, ``lti_user``, ``staff``, ``system``, ``cli``) and,
    for the kinds that name someone, ``id`` (a public id, an email, …)."""

    kind: str
    id: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @classmethod
    def staff(cls, user: LtiUser) -> Actor:
        """A member of a course's staff acting on its pages (public id and name)."""
        return cls("staff", f"{user.public_id} {user.name}".strip())

    @classmethod
    def from_request(cls) -> Actor:
        """Who is acting in this request or command: the API key, the console's admin, the
        launched LTI user; else the CLI, else the system. For views and CLI commands only."""
        if has_request_context():
            key = g.get("api_key")
            if key is not None:
                return cls("api_key", key.public_id)
            admin = g.get("admin_user")
            if admin is not None:
                return cls("admin", admin.email)
            launch = g.get("launch_session")
            if launch is not None:
                public_id = db.session.scalar(
                    select(LtiUser.public_id).where(LtiUser.id == launch.user_id)
                )
                return cls("lti_user", public_id or str(launch.user_id))
        if click.get_current_context(silent=True) is not None:
            return CLI
        return SYSTEM


#: Work nobody in particular asked for (a sweep, a registration from a platform's handshake).
SYSTEM = Actor("system")
#: The grade pipeline's own decisions, whoever's request set it going.
PIPELINE = Actor("system", "pipeline")
#: A command of ``flask`` run by an operator.
CLI = Actor("cli")
