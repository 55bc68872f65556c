"""Outbound webhooks: admins subscribe URLs of a registration to ``badge.issued``,
``badge.accepted``, ``badge.revoked`` and ``badge.expired``; each event is delivered once per
subscription, signed (``Badgebridge-Signature``), retried with back-off and logged.

Producers call ``app.webhooks.tasks.emit`` in the transaction that changes the award and
``after_commit`` after it; the outbox carries the event to :mod:`app.webhooks.tasks`, which
fans it out.
"""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401

# Nothing is imported here on purpose: app.models imports this package's models, and the
# delivery side (tasks) depends on the award pipeline, which depends on app.models.
