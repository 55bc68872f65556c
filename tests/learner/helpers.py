"""Small builders for learner-side tests: a course, people, badges, awards, launch tokens."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from app.artwork import badge_artwork
from app.extensions import db
from app.launch_session import LaunchSession
from app.models import Context, Deployment, LtiUser, Membership, Registration
from app.openbadges import operations
from app.openbadges.models import Assertion, Badge, Issuer

_seq = itertools.count(1)


def make_course(title: str = "Biology 101") -> Context:
    n = next(_seq)
    registration = Registration(
        name="Example LMS",
        issuer=f"https://lms{n}.example.edu",
        client_id=f"client-{n}",
        auth_login_url="https://lms.example.edu/auth",
        auth_token_url="https://lms.example.edu/token",
    )
    db.session.add(registration)
    db.session.flush()
    deployment = Deployment(registration_id=registration.id, deployment_id=f"dep-{n}")
    db.session.add(deployment)
    db.session.flush()
    context = Context(
        registration_id=registration.id,
        deployment_id=deployment.id,
        lti_context_id=f"course-{n}",
        title=title,
    )
    db.session.add(context)
    db.session.commit()
    return context


def make_person(context: Context, name: str, email: str | None, *, staff: bool = False) -> LtiUser:
    user = LtiUser(
        issuer=context.registration.issuer, sub=f"sub-{next(_seq)}", name=name, email=email
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(
        Membership(
            context_id=context.id,
            user_id=user.id,
            is_staff=staff,
            roles=["Instructor" if staff else "Learner"],
        )
    )
    db.session.commit()
    return user


def make_issuer(name: str = "Example University") -> Issuer:
    return operations.create_issuer(name, "https://example.edu", "badges@example.edu")


def make_badge(issuer: Issuer, context: Context, name: str, **kwargs: Any) -> Badge:
    kwargs.setdefault("criteria_narrative", f"Earn 80 % in the {name} quiz.")
    narrative = kwargs.pop("criteria_narrative")
    return operations.create_badge(
        issuer,
        name,
        f"Shows mastery of {name}.",
        narrative,
        context_id=context.id,
        artwork=badge_artwork(name),
        **kwargs,
    )


def award(
    badge: Badge, user: LtiUser, *, now: datetime | None = None, expires_at: datetime | None = None
) -> Assertion:
    issued = operations.issue(
        badge,
        operations.Recipient(email=user.email, name=user.name, lti_user_id=user.id),
        evidence=[{"name": "Quiz score", "narrative": "Scored 85 %"}],
        now=now,
        expires_at=expires_at,
    )
    return issued.assertion


def token_for(context: Context, user: LtiUser, *, staff: bool = False) -> str:
    return LaunchSession(
        registration_id=context.registration_id,
        deployment_id=context.deployment_id,
        context_id=context.id,
        user_id=user.id,
        is_staff=staff,
    ).token()
