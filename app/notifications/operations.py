"""Delivering email exactly once per (award, kind), and finding what is due.

The protocol (`deliver`): insert the `EmailDelivery` row for the key (the unique key makes
the first inserter its owner; later callers find it), *claim* it with one conditional UPDATE
(pending/retry, or a sending row whose lease ran out because its worker died), commit, talk to
the SMTP server, then mark it sent. A retry after a temporary failure finds the row in
``retry`` and sends again; after success it finds ``sent`` and does nothing. The one window
left, a crash between the server's "250 OK" and our commit, is closed as far as email allows
by the stable Message-ID (mail clients fold the copies).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.background import leases
from app.database import CHUNK, as_utc
from app.extensions import db
from app.models import Context, LtiUser, Membership
from app.models.base import utcnow
from app.notifications import messages
from app.notifications.mailer import MailPermanentError, MailTemporaryError, get_mailer
from app.notifications.models import DeliveryState, EmailDelivery, MailKind
from app.openbadges import urls
from app.openbadges.models import Assertion, Badge

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # longer than any SMTP conversation's timeouts add up to


class Outcome:
    SENT = "sent"
    ALREADY = "already_sent"
    BUSY = "in_progress"  # another worker holds the claim
    NO_EMAIL = "no_email"
    FAILED = "failed"
    GONE = "gone"  # the award no longer exists or was revoked before we sent


def _row(
    key: str,
    kind: str,
    *,
    assertion_id: int | None = None,
    user_id: int | None = None,
    recipient: str | None = None,
) -> EmailDelivery:
    row = db.session.scalar(select(EmailDelivery).where(EmailDelivery.key == key))
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = EmailDelivery(
                key=key,
                kind=kind,
                assertion_id=assertion_id,
                user_id=user_id,
                recipient=recipient,
                state=DeliveryState.PENDING,
                message_id=messages.message_id(key),
            )
            db.session.add(row)
    except IntegrityError:  # a concurrent worker inserted it first: theirs is the row
        row = db.session.scalar(select(EmailDelivery).where(EmailDelivery.key == key))
        assert row is not None
    db.session.commit()
    return row


def _claim(row: EmailDelivery, now: datetime) -> bool:
    claimed = leases.claim(EmailDelivery, row.id, lease=LEASE, now=now)
    db.session.commit()
    db.session.refresh(row)
    return claimed


def deliver(
    key: str,
    kind: str,
    recipient: str | None,
    build: Callable[[], EmailMessage],
    *,
    assertion_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> str:
    """Send the message ``build`` makes, at most once for ``key``; return an `Outcome`.

    Raises `MailTemporaryError` after recording the failure, so the caller's job retries.
    """
    now = now or utcnow()
    row = _row(key, kind, assertion_id=assertion_id, user_id=user_id, recipient=recipient)
    if row.state == DeliveryState.SENT:
        return Outcome.ALREADY
    if row.state in (DeliveryState.FAILED, DeliveryState.NO_EMAIL):
        return row.state
    if not recipient:
        row.state = DeliveryState.NO_EMAIL
        db.session.commit()
        return Outcome.NO_EMAIL
    if not _claim(row, now):
        return Outcome.ALREADY if row.state == DeliveryState.SENT else Outcome.BUSY
    try:
        get_mailer().send(build())
    except MailTemporaryError as exc:
        retry = leases.fail(row, str(exc)[:2000])
        db.session.commit()
        log.warning("email %s failed (attempt %s): %s", key, row.attempts, exc)
        if retry is None:
            return Outcome.FAILED
        raise
    except MailPermanentError as exc:
        leases.fail(row, str(exc)[:2000], retryable=False)
        db.session.commit()
        log.error("email %s refused for good: %s", key, exc)
        return Outcome.FAILED
    row.state, row.sent_at, row.lease_until, row.last_error = (
        DeliveryState.SENT,
        utcnow(),
        None,
        None,
    )
    row.next_attempt_at = None
    db.session.commit()
    return Outcome.SENT


def _assertion(assertion_id: int) -> Assertion | None:
    assertion = db.session.get(Assertion, assertion_id)
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


def deliver_award_email(assertion_id: int) -> str:
    """The award email for one assertion, exactly once (``award:<id>``)."""
    assertion = _assertion(assertion_id)
    if assertion is None:
        return Outcome.GONE
    key = f"{MailKind.AWARD}:{assertion.id}"
    recipient = _recipient(assertion)

    def build() -> EmailMessage:
        message = messages.award_message(assertion, key)
        if not assertion.recipient_email:  # address known from the LMS, not on the award
            message.replace_header("To", recipient or "")
        return message

    return deliver(
        key,
        MailKind.AWARD,
        recipient,
        build,
        assertion_id=assertion.id,
        user_id=assertion.lti_user_id,
    )


def deliver_expiry_email(assertion_id: int, kind: str) -> str:
    """A thirty-day or same-day expiry reminder, exactly once per award and kind."""
    assertion = _assertion(assertion_id)
    if assertion is None or assertion.expires_at is None:
        return Outcome.GONE
    key = f"{kind}:{assertion.id}"
    today = kind == MailKind.EXPIRY_TODAY
    return deliver(
        key,
        kind,
        _recipient(assertion),
        lambda: messages.expiry_message(assertion, key, today=today),
        assertion_id=assertion.id,
        user_id=assertion.lti_user_id,
    )


# --- what is due -------------------------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    now = as_utc(now)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def due_expiry_reminders(now: datetime | None = None) -> list[tuple[int, str]]:
    """(assertion id, kind) of every reminder due now and not yet sent.

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
            select(EmailDelivery.assertion_id, EmailDelivery.kind).where(
                EmailDelivery.assertion_id.in_({a for a, _k in due}),
                EmailDelivery.state.in_(DeliveryState.DONE),
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


def deliver_digest(plan: DigestPlan, day: str) -> str:
    """One instructor's digest for ``day``, exactly once (``digest:<user>:<day>``)."""
    key = f"{MailKind.DIGEST}:{plan.user_id}:{day}"
    return deliver(
        key,
        MailKind.DIGEST,
        plan.email,
        lambda: messages.digest_message(
            key=key,
            name=plan.name,
            email=plan.email,
            day=day,
            courses=plan.courses,
            locale=plan.locale,
        ),
        user_id=plan.user_id,
    )


def stuck_deliveries(now: datetime | None = None) -> list[EmailDelivery]:
    """Deliveries a retry sweep should pick up: temporary failures, and claims whose worker
    died (lease expired)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(EmailDelivery)
            .where(
                EmailDelivery.state != DeliveryState.PENDING,
                leases.claimable(EmailDelivery, now),
            )
            .limit(CHUNK)
        )
    )
