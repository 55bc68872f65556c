"""What the notification side sends. Each email is an outbox row
(:class:`app.awards.models.OutboxMessage`) whose kind is one of these."""

from __future__ import annotations

from typing import Any

from app.openbadges.models import Assertion, StoredAssertion


class MailKind:
    AWARD = "notify_award"  # written by the award's effects in the issuing transaction
    EXPIRY_SOON = "expiry_30"  # thirty days before an award expires
    EXPIRY_TODAY = "expiry_0"  # on the day it expires
    DIGEST = "digest"  # an instructor's daily summary of awards in their courses
    ALL = (AWARD, EXPIRY_SOON, EXPIRY_TODAY, DIGEST)


def award_email_row(assertion: Assertion | StoredAssertion) -> dict[str, Any]:
    """The outbox row owing ``assertion``'s award email (one per award, ever: its key)."""
    return {
        "kind": MailKind.AWARD,
        "dedupe_key": f"{MailKind.AWARD}:{assertion.public_id}",
        "assertion_id": assertion.id,
        "user_id": assertion.lti_user_id,
        "payload": {"assertion_id": assertion.public_id},
    }
