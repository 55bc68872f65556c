"""Email: the award notification, the instructors' daily digest and expiry reminders.

Rooms: ``mailer`` (how a message leaves: SMTP from ``SMTP_URL`` or the log), ``models``
(`EmailDelivery`, one row per message we owe, so a retry never sends twice), ``messages``
(composing the branded HTML + text emails), ``operations`` (deliver exactly once, find who is
due a reminder or a digest), ``tasks`` (huey jobs and the periodic sweeps), ``queries`` (read
models for the staff page).
"""
