"""Mail in the background: the outbox handlers of every email kind, and the daily jobs that
owe expiry reminders and the instructors' digests.

Each email is an outbox row, so sending one is the outbox's claim → handler → sent cycle:
owing it twice (a sweep running again, a replay) finds the row and sends nothing more, and
temporary SMTP failures are retried with back-off by the outbox (its sweep picks up what
outlives a worker).
"""

from __future__ import annotations

from huey import crontab

from app.background import queue
from app.background.handlers import handler
from app.notifications import operations
from app.notifications.models import MailKind

handler(MailKind.AWARD)(operations.send_award_email)
handler(MailKind.EXPIRY_SOON)(operations.send_expiry_email)
handler(MailKind.EXPIRY_TODAY)(operations.send_expiry_email)
handler(MailKind.DIGEST)(operations.send_digest)


def send_award_email(assertion_id: int) -> None:
    """Owe the award email of one assertion and send it in the background (once, ever)."""
    operations.owe_award_email(assertion_id)


@queue.task()
def queue_expiry_reminders() -> int:
    """Owe every expiry reminder that is due; returns how many."""
    due = operations.due_expiry_reminders()
    operations.owe([operations.expiry_email_row(a, kind) for a, kind in due])
    return len(due)


@queue.task()
def queue_digests() -> int:
    """Owe yesterday's digest to every instructor whose courses issued badges."""
    day, plans = operations.digest_plans()
    operations.owe([operations.digest_row(plan.user_id, day) for plan in plans])
    return len(plans)


# Periodic: these only enqueue the jobs above, which run in the app context of a consumer.
@queue.huey.periodic_task(crontab(minute="5", hour="6"))
def daily_mail() -> None:
    """06:05 UTC: expiry reminders and yesterday's digests."""
    queue_expiry_reminders()
    queue_digests()


__all__ = ["daily_mail", "queue_digests", "queue_expiry_reminders", "send_award_email"]
