"""Outbound webhooks: admins subscribe URLs of a registration to ``badge.issued``,
``badge.accepted``, ``badge.revoked`` and ``badge.expired``; each event is delivered once per
subscription, signed (``Badgebridge-Signature``), retried with back-off and logged.

Producers call :func:`emit` in the transaction that changes the award and :func:`after_commit`
after it; the outbox carries the event to :mod:`app.webhooks.tasks`, which fans it out.
"""

# app.models re-exports this package's models: importing it first lets either import order
# finish without a circular-import error.
import app.models  # noqa: F401
from app.webhooks.models import EventType
from app.webhooks.tasks import after_commit, emit

__all__ = ["EventType", "after_commit", "emit"]
