"""Mail jobs (huey): the award email, expiry reminders, the instructors' digest, retries.

Each job sends through `operations.deliver`, so running one twice (a retry, a sweep and a
retry racing, a replayed outbox row) never sends twice. Temporary SMTP failures raise, and huey
retries with exponential back-off (1, 2, 4 … minutes); what outlives huey's retries (a worker
restart, a long outage) is picked up by the quarter-hourly sweep.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from huey import crontab

from app.awards import outbox
from app.awards.models import OutboxMessage
from app.background import dead, queue
from app.background.handlers import handler
from app.extensions import db
from app.notifications import operations
from app.notifications.models import DeliveryState, EmailDelivery, MailKind

log = logging.getLogger(__name__)

_RETRY = {"retries": 6, "retry_delay": 60, "retry_backoff": 2}


@queue.task(**_RETRY)
def send_award_email(assertion_id: int) -> str:
    """The award email for one assertion (the outbox's ``notify_award`` lands here)."""
    return operations.deliver_award_email(assertion_id)


@queue.task(**_RETRY)
def send_expiry_email(assertion_id: int, kind: str) -> str:
    """One expiry reminder (``expiry_30`` or ``expiry_0``)."""
    return operations.deliver_expiry_email(assertion_id, kind)


@queue.task(**_RETRY)
def send_digest(user_id: int, day: str) -> str:
    """One instructor's digest for ``day`` (recomputed, so a retry sends current data)."""
    from datetime import UTC, datetime, timedelta

    moment = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
    found_day, plans = operations.digest_plans(moment)
    for plan in plans:
        if plan.user_id == user_id:
            return operations.deliver_digest(plan, found_day)
    return operations.Outcome.GONE


@queue.task()
def queue_expiry_reminders() -> int:
    """Enqueue every expiry reminder that is due; returns how many."""
    due = operations.due_expiry_reminders()
    for assertion_id, kind in due:
        send_expiry_email(assertion_id, kind)
    return len(due)


@queue.task()
def queue_digests() -> int:
    """Enqueue yesterday's digest for every instructor whose courses issued badges."""
    day, plans = operations.digest_plans()
    for plan in plans:
        send_digest(plan.user_id, day)
    return len(plans)


@queue.task()
def retry_stuck_mail() -> int:
    """Re-enqueue deliveries left in ``retry`` or with a dead worker's expired claim."""
    return sum(_resend(row) for row in operations.stuck_deliveries())


def _resend(row: EmailDelivery) -> bool:
    """Enqueue the job that sends ``row``'s message again; False when none can."""
    if row.assertion_id is not None and row.kind == MailKind.AWARD:
        send_award_email(row.assertion_id)
    elif row.assertion_id is not None and row.kind in (MailKind.EXPIRY_SOON, MailKind.EXPIRY_TODAY):
        send_expiry_email(row.assertion_id, row.kind)
    elif row.kind == MailKind.DIGEST and row.user_id is not None:
        send_digest(row.user_id, row.key.rsplit(":", 1)[1])
    else:
        log.warning("delivery %s (%s) cannot be retried", row.key, row.state)
        return False
    return True


def _resend_ids(ids: list[int]) -> None:
    for delivery_id in ids:
        if (row := db.session.get(EmailDelivery, delivery_id)) is not None:
            _resend(row)


def _describe(row: EmailDelivery) -> str:
    return f"{row.kind} email {row.key} to {row.recipient or 'nobody'}"


dead.register(
    dead.DeadKind(
        "email", _l("Emails (refused or out of attempts)"), EmailDelivery, _describe, _resend_ids
    )
)


# Periodic: these only enqueue the jobs above, which run in the app context of a consumer.
@queue.huey.periodic_task(crontab(minute="5", hour="6"))
def daily_mail() -> None:
    """06:05 UTC: expiry reminders and yesterday's digests."""
    queue_expiry_reminders()
    queue_digests()


@queue.huey.periodic_task(crontab(minute="*/15"))
def mail_retry_sweep() -> None:
    """Every quarter hour: pick up mail that huey's own retries did not get out."""
    retry_stuck_mail()


__all__ = [
    "DeliveryState",
    "daily_mail",
    "mail_retry_sweep",
    "queue_digests",
    "queue_expiry_reminders",
    "retry_stuck_mail",
    "send_award_email",
    "send_digest",
    "send_expiry_email",
]


# The award pipeline writes a ``notify_award`` outbox row in the issuing transaction; its
# dispatcher calls this with retries and back-off (a temporary SMTP failure raises, so the row
# is retried; the delivery ledger keeps the retries from sending twice).


@handler(outbox.NOTIFY_AWARD)
def notify_award(message: OutboxMessage) -> None:
    """Send the award email for the outbox row's assertion."""
    assertion_id = message.assertion_id
    if assertion_id is None:  # the row outlived its assertion (deleted): nothing to say
        log.warning("outbox %s names no assertion", message.dedupe_key)
        return
    operations.deliver_award_email(assertion_id)
