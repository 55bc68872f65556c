"""Emails owed, sent exactly once, and finding what is due.

Every email is a row of the outbox (:mod:`app.awards.outbox`) keyed by what it is about
(``notify_award:<assertion public id>``, ``expiry_30:<assertion id>``,
``digest:<user id>:<day>``): the unique key makes the first writer its owner, so however often
a sweep or a replay owes it there is one row. The outbox claims the row with a lease, runs the
kind's handler here (which talks to the SMTP server) and marks it sent; a temporary failure is
retried with back-off, a refusal for good goes to the dead list. The one window left, a crash
between the server's "250 OK" and the commit, is closed as far as email allows by the stable
Message-ID derived from the key (mail clients fold the copies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import select

from app.awards import outbox
from app.awards.models import OutboxMessage, OutboxState
from app.database import as_utc
from app.extensions import db
from app.models import Context, LtiUser, Membership
from app.models.base import utcnow
from app.notifications import messages
from app.notifications.mailer import get_mailer
from app.notifications.models import MailKind, award_email_row
from app.openbadges import urls
from app.openbadges.models import Assertion, Badge


def owe(rows: Sequence[dict[str, Any]]) -> None:
    """Write the outbox rows of emails (skipping those owed already), commit, and send the
    new ones in the background."""
    ids = outbox.write(rows)
    db.session.commit()
    outbox.enqueue(ids)


def owe_award_email(assertion_id: int) -> None:
    """Owe the award email of an assertion (the award's effects already do when it is
    issued; owing it again changes nothing)."""
    assertion = db.session.get(Assertion, assertion_id)
    if assertion is not None:
        owe([award_email_row(assertion)])


def _send(
    message: OutboxMessage, recipient: str | None, build: Callable[[], EmailMessage]
) -> str | None:
    # Hand the email to the mailer; its errors are the outbox's to retry or give up on.
    message.recipient = recipient or None
    if not recipient:
        return OutboxState.NO_EMAIL
    get_mailer().send(build())
    return None


def _assertion(assertion_id: int | None) -> Assertion | None:
    assertion = db.session.get(Assertion, assertion_id) if assertion_id is not None else None
    if assertion is None or assertion.revoked:
        return None
    return assertion


def _recipient(assertion: Assertion) -> str | None:
    if assertion.recipient_email:
        return assertion.recipient_email
    if assertion.lti_user_id is not None:
        user = db.session.get(LtiUser, assertion.lti_user_id)
        return user.email if user is not None and user.email else None
    return None


def send_award_email(message: OutboxMessage) -> str | None:
    """The outbox handler of the award email: send it for the row's assertion."""
    assertion = _assertion(message.assertion_id)
    if assertion is None:  # revoked or deleted before it went out: nothing to say
        return OutboxState.DROPPED
    recipient = _recipient(assertion)

    def build() -> EmailMessage:
        email = messages.award_message(assertion, message.dedupe_key)
        if not assertion.recipient_email:  # address known from the LMS, not on the award
            email.replace_header("To", recipient or "")
        return email

    return _send(message, recipient, build)


def send_expiry_email(message: OutboxMessage) -> str | None:
    """The outbox handler of a thirty-day or same-day expiry reminder."""
    assertion = _assertion(message.assertion_id)
    if assertion is None or assertion.expires_at is None:
        return OutboxState.DROPPED
    message.user_id = assertion.lti_user_id
    today = message.kind == MailKind.EXPIRY_TODAY
    return _send(
        message,
        _recipient(assertion),
        lambda: messages.expiry_message(assertion, message.dedupe_key, today=today),
    )


def send_digest(message: OutboxMessage) -> str | None:
    """The outbox handler of an instructor's digest: recomputed for its day, so a retry
    sends current data."""
    day = message.payload["day"]
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
    found_day, plans = digest_plans(moment)
    plan = next((p for p in plans if p.user_id == message.user_id), None)
    if plan is None:  # the awards of that day were revoked, or the digest was switched off
        return OutboxState.DROPPED
    return _send(
        message,
        plan.email,
        lambda: messages.digest_message(
            key=message.dedupe_key,
            name=plan.name,
            email=plan.email,
            day=found_day,
            courses=plan.courses,
            locale=plan.locale,
        ),
    )


def expiry_email_row(assertion_id: int, kind: str) -> dict[str, Any]:
    """The outbox row owing one expiry reminder (``expiry_30`` or ``expiry_0``)."""
    return {"kind": kind, "dedupe_key": f"{kind}:{assertion_id}", "assertion_id": assertion_id}


def digest_row(user_id: int, day: str) -> dict[str, Any]:
    """The outbox row owing one instructor's digest for ``day``."""
    key = f"{MailKind.DIGEST}:{user_id}:{day}"
    return {"kind": MailKind.DIGEST, "dedupe_key": key, "user_id": user_id, "payload": {"day": day}}


# --- what is due -------------------------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    now = as_utc(now)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def due_expiry_reminders(now: datetime | None = None) -> list[tuple[int, str]]:
    """(assertion id, kind) of every reminder due now and not yet owed (a reminder owed
    already is sent, or on its way through the outbox's retries).

    Thirty days before: awards expiring within the next 30 days (but not today: the same-day
    mail says it) whose 30-day mark came after they were issued (a badge valid for two weeks
    gets no "in 30 days" mail). On the day:
    awards expiring today, or in the last two days (a sweep that missed a day catches up).
    """
    now = as_utc(now or utcnow())
    start = _day_start(now)
    live = (Assertion.revoked_at.is_(None), Assertion.expires_at.is_not(None))
    due: list[tuple[int, str]] = []
    soon = db.session.execute(
        select(Assertion.id, Assertion.issued_on, Assertion.expires_at).where(
            *live,
            Assertion.expires_at >= start + timedelta(days=1),
            Assertion.expires_at <= now + timedelta(days=30),
        )
    )
    for assertion_id, issued_on, expires_at in soon:
        if expires_at is not None and expires_at - timedelta(days=30) >= issued_on:
            due.append((assertion_id, MailKind.EXPIRY_SOON))
    today = db.session.scalars(
        select(Assertion.id).where(
            *live,
            Assertion.expires_at >= start - timedelta(days=2),
            Assertion.expires_at < start + timedelta(days=1),
        )
    )
    due += [(assertion_id, MailKind.EXPIRY_TODAY) for assertion_id in today]
    if not due:
        return []
    done = set(
        db.session.execute(
            select(OutboxMessage.assertion_id, OutboxMessage.kind).where(
                OutboxMessage.assertion_id.in_({a for a, _k in due}),
                OutboxMessage.kind.in_((MailKind.EXPIRY_SOON, MailKind.EXPIRY_TODAY)),
            )
        ).all()
    )
    return [item for item in due if item not in done]


@dataclass(frozen=True)
class DigestPlan:
    """One instructor's digest: who, and the awards per course."""

    user_id: int
    name: str
    email: str
    courses: list[messages.DigestCourse]
    locale: str = ""  # from their last launch: the digest is written in it


def digest_plans(now: datetime | None = None) -> tuple[str, list[DigestPlan]]:
    """The digests for the day before ``now``: every active staff member with an email, of
    every course that issued awards that day. Returns (the day, the plans)."""
    if current_digest_disabled():
        return "", []
    start = _day_start(now or utcnow()) - timedelta(days=1)
    end = start + timedelta(days=1)
    rows = db.session.execute(
        select(Assertion, Badge.context_id)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(
            Assertion.issued_on >= start,
            Assertion.issued_on < end,
            Assertion.revoked_at.is_(None),
            Badge.context_id.is_not(None),
        )
        .order_by(Badge.context_id, Assertion.issued_on)
    ).all()
    by_context: dict[int, list[messages.DigestLine]] = {}
    for assertion, context_id in rows:
        by_context.setdefault(cast(int, context_id), []).append(
            messages.DigestLine(
                learner=assertion.recipient_name or "A learner",
                badge=assertion.badge.name,
                issued_on=assertion.issued_on.strftime("%H:%M UTC"),
                verify_url=urls.public_url(urls.VERIFY_PAGE, assertion.public_id),
            )
        )
    if not by_context:
        return start.date().isoformat(), []
    staff = db.session.execute(
        select(Membership.context_id, LtiUser)
        .join(LtiUser, LtiUser.id == Membership.user_id)
        .where(
            Membership.context_id.in_(by_context),
            Membership.is_staff.is_(True),
            Membership.active.is_(True),
            LtiUser.email.is_not(None),
            LtiUser.email != "",
        )
    ).all()
    titles = dict(
        db.session.execute(
            select(Context.id, Context.title).where(Context.id.in_(by_context))
        ).all()
    )
    plans: dict[int, DigestPlan] = {}
    for context_id, user in staff:
        plan = plans.setdefault(
            user.id, DigestPlan(user.id, user.name or "", user.email or "", [], user.locale)
        )
        plan.courses.append(
            messages.DigestCourse(titles.get(context_id) or "", by_context[context_id])
        )
    return start.date().isoformat(), list(plans.values())


def current_digest_disabled() -> bool:
    """The daily digest is on unless ``INSTRUCTOR_DIGEST`` is configured off."""
    from flask import current_app

    value = str(current_app.config.get("INSTRUCTOR_DIGEST", "1")).strip().lower()
    return value in {"0", "false", "no", "off"}
