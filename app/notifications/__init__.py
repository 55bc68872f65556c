"""Email: the award notification, the instructors' daily digest and expiry reminders.

Rooms: ``mailer`` (how a message leaves: SMTP from ``SMTP_URL`` or the log), ``models``
(the kinds of email; each email owed is an outbox row, so a retry never sends twice),
``messages`` (composing the branded HTML + text emails), ``operations`` (the outbox handlers
that send, finding who is due a reminder or a digest), ``tasks`` (handler registration and
the daily jobs), ``queries`` (read models for the staff page).
"""

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401
