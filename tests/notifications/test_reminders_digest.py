"""Expiry reminders (30 days before, on the day) and the instructors' daily digest: due at the
right time, sent once however often the sweeps run; the outbox hands awards to the mailer."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from app.awards.models import OutboxMessage
from app.extensions import db
from app.models.base import utcnow
from app.notifications import operations, tasks
from app.notifications.models import MailKind
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, IssuerFactory, PersonFactory


def test_expiry_reminders_are_due_once_each(smtp_server, app):
    now = utcnow()
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    ben = PersonFactory(course=course, name="Ben Okafor", email="ben@example.org")
    cid = PersonFactory(course=course, name="Cid Short", email="cid@example.org")
    issuer = IssuerFactory()
    in_29_days = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="First Aid"),
        user=ana,
        now=now - timedelta(days=300),
        expires_at=now + timedelta(days=29),
    )
    today = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Lab Safety"),
        user=ben,
        now=now - timedelta(days=300),
        expires_at=now + timedelta(minutes=1),
    )
    # Valid for two weeks only: no "in 30 days" mail right after it was issued.
    short = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Pop Quiz"),
        user=cid,
        now=now - timedelta(days=1),
        expires_at=now + timedelta(days=13),
    )
    AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Forever"), user=ana
    )  # no expiry: never reminded
    due = set(operations.due_expiry_reminders(now))
    assert (in_29_days.id, MailKind.EXPIRY_SOON) in due
    assert (today.id, MailKind.EXPIRY_TODAY) in due
    assert all(assertion_id != short.id for assertion_id, _k in due)

    for _ in range(3):  # the sweep may run more than once a day
        tasks.queue_expiry_reminders()
    subjects = sorted(m["Subject"] for m in smtp_server.inbox.messages)
    assert [s for s in subjects if "Lab Safety" in s] == ["Your Lab Safety badge expires today"]
    # English dates as Babel writes them for "en" (app.i18n.format_date).
    expires_on = format_date((now + timedelta(days=29)).date(), "long", locale="en")
    assert [s for s in subjects if "First Aid" in s] == [
        f"Your First Aid badge expires on {expires_on}"
    ]
    assert operations.due_expiry_reminders(now) == []  # every due reminder went out


def test_daily_digest_goes_to_staff_once(smtp_server, app):
    yesterday = utcnow() - timedelta(days=1)
    course = CourseFactory(title="Biology 101")
    PersonFactory(course=course, name="Dr Teacher", email="teacher@example.edu", staff=True)
    PersonFactory(course=course, name="No-mail TA", email=None, staff=True)
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    badge = BadgeFactory(context=course, name="Cell Biology")
    AwardFactory(badge=badge, user=ana, now=yesterday.replace(hour=12))
    quiet = CourseFactory(title="Quiet course")
    PersonFactory(course=quiet, name="Idle Teacher", email="idle@example.edu", staff=True)

    day, plans = operations.digest_plans()
    assert [p.email for p in plans] == ["teacher@example.edu"]
    for _ in range(2):
        tasks.queue_digests()
    [mail] = smtp_server.inbox.messages
    assert mail["To"] == "Dr Teacher <teacher@example.edu>"
    shown_day = format_date(date.fromisoformat(day), "long", locale="en")
    assert mail["Subject"] == f"1 badge awarded in your courses ({shown_day})"
    text = mail.get_body(("plain",)).get_content()
    assert "Biology 101" in text and "Ana Lima: Cell Biology" in text
    assert db.session.query(OutboxMessage).filter_by(kind=MailKind.DIGEST).count() == 1


def test_digest_can_be_switched_off(app):
    app.config["INSTRUCTOR_DIGEST"] = "off"
    try:
        assert operations.digest_plans() == ("", [])
    finally:
        del app.config["INSTRUCTOR_DIGEST"]


def test_outbox_notify_award_row_sends_the_email(smtp_server, app):
    from app.awards import outbox
    from app.notifications.models import award_email_row

    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    assertion = AwardFactory(badge=BadgeFactory(context=course, name="Cell Biology"), user=ana)
    ids = outbox.write([award_email_row(assertion)])
    db.session.commit()
    outbox.enqueue(ids)
    outbox.enqueue(ids)  # a replayed dispatch finds the row sent
    assert len(smtp_server.inbox.messages) == 1
    assert smtp_server.inbox.messages[0]["Subject"].startswith("You earned the Cell Biology")
