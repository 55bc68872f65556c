"""Read models of the notification side for the staff page (no state changes here)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.awards.models import OutboxMessage
from app.extensions import db
from app.models import LtiUser, Membership
from app.notifications.models import MailKind
from app.openbadges.models import Assertion, Badge


@dataclass(frozen=True)
class NoEmailLearner:
    """A learner the LMS gave no email address: badges reach them in the course only."""

    user_id: int
    name: str
    badges: int  # live awards they hold in this course


def learners_without_email(context_id: int) -> list[NoEmailLearner]:
    """Active learners of the course without an email, with their live award count, by name.

    For the staff page's "no email" list: they still get every badge in the course, but no
    award email, digest or reminder.
    """
    awards = (
        select(Assertion.lti_user_id, func.count().label("n"))
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(Badge.context_id == context_id, Assertion.revoked_at.is_(None))
        .group_by(Assertion.lti_user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(LtiUser.id, LtiUser.name, LtiUser.sub, func.coalesce(awards.c.n, 0))
        .join(Membership, Membership.user_id == LtiUser.id)
        .outerjoin(awards, awards.c.lti_user_id == LtiUser.id)
        .where(
            Membership.context_id == context_id,
            Membership.is_staff.is_(False),
            Membership.active.is_(True),
            or_(LtiUser.email.is_(None), LtiUser.email == ""),
        )
        .order_by(LtiUser.name, LtiUser.id)
    ).all()
    return [NoEmailLearner(user_id, name or sub, badges) for user_id, name, sub, badges in rows]


def award_email_states(context_id: int) -> dict[int, str]:
    """assertion id -> state of its award email's outbox row (pending, sent, dead,
    no_email …) for the course's awards that have one."""
    rows = db.session.execute(
        select(OutboxMessage.assertion_id, OutboxMessage.state)
        .join(Assertion, Assertion.id == OutboxMessage.assertion_id)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(Badge.context_id == context_id, OutboxMessage.kind == MailKind.AWARD)
    ).all()
    return {assertion_id: state for assertion_id, state in rows if assertion_id is not None}


__all__ = ["NoEmailLearner", "award_email_states", "learners_without_email"]
