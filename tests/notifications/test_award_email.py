"""The award email over real SMTP: content, exactly-once, retries, no-email learners.

The email is an outbox row: the outbox claims it, the handler sends, the row records how it
went (sent, retried with back-off, dead, no address, dropped)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from app.audit import SYSTEM
from app.awards import outbox
from app.awards.models import OutboxMessage, OutboxState
from app.background import dead
from app.background.queue import huey
from app.extensions import db
from app.models.base import utcnow
from app.notifications import messages, queries, tasks
from app.notifications.mailer import SmtpSettings
from app.notifications.models import award_email_row
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, IssuerFactory, PersonFactory


@pytest.fixture
def awarded(app):
    course = CourseFactory(title="Biology 101")
    learner = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    badge = BadgeFactory(context=course, name="Cell Biology")
    return AwardFactory(badge=badge, user=learner)


def _row() -> OutboxMessage:
    db.session.expire_all()
    return db.session.query(OutboxMessage).one()


def _run_scheduled_retries() -> int:
    """Run what huey scheduled for later (retries with back-off), as a consumer would."""
    from datetime import datetime

    ran = 0
    later = datetime.now() + timedelta(days=1)  # past every back-off delay
    while ran < 20:
        due = huey.read_schedule(later)
        if not due:
            return ran
        for task in due:
            huey.execute(task, timestamp=later)
            ran += 1
    raise AssertionError("retries never stopped")


def test_award_email_arrives_with_everything_the_learner_needs(smtp_server, awarded):
    tasks.send_award_email(awarded.id)  # owed and enqueued; immediate mode sends it now
    [mail] = smtp_server.inbox.messages
    assert mail["To"] == "Ana Lima <ana@example.org>"
    assert mail["Subject"] == "You earned the Cell Biology badge in Biology 101"
    assert "Example University via Badgebridge" in mail["From"]
    assert mail["Reply-To"] == "badges@example.edu"
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Ana Lima" in body and "Biology 101" in body and "Example University" in body
        assert "Shows mastery of Cell Biology." in body  # what the badge means
        assert "/learner/accept/" in body
        assert f"/share/{awarded.public_id}/linkedin_profile?from=email" in body
        assert f"/ob/verify/{awarded.public_id}" in body
    assert 'alt="Cell Biology badge"' in html
    [attachment] = list(mail.iter_attachments())
    png = attachment.get_content()
    assert attachment.get_content_type() == "image/png" and png.startswith(b"\x89PNG")
    assert b"openbadgecredential" in png  # baked: the file verifies on its own
    row = _row()
    assert row.state == OutboxState.SENT and row.attempts == 1
    assert row.recipient == "ana@example.org" and row.user_id == awarded.lti_user_id
    assert mail["Message-ID"] == messages.message_id(row.dedupe_key)


def test_sending_again_never_duplicates(smtp_server, awarded):
    for _ in range(3):
        tasks.send_award_email(awarded.id)
    assert outbox.dispatch(_row().id) is None  # a replayed dispatch finds it sent
    assert len(smtp_server.inbox.messages) == 1 and _row().attempts == 1


def test_refusing_server_is_retried_with_back_off_without_duplicates(smtp_server, awarded):
    huey.flush()
    smtp_server.inbox.refuse = 2  # "451 try again later" twice, then accept
    tasks.send_award_email(awarded.id)  # first attempt fails; a retry is scheduled
    assert smtp_server.inbox.messages == []
    row = _row()
    assert row.state == OutboxState.PENDING and "451" in row.last_error
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()
    assert _run_scheduled_retries() == 2
    assert len(smtp_server.inbox.messages) == 1 and smtp_server.inbox.refused == 2
    row = _row()
    assert row.state == OutboxState.SENT and row.attempts == 3
    # A late duplicate (the sweep, a replayed row) finds it sent.
    outbox.enqueue([row.id])
    tasks.send_award_email(awarded.id)
    assert len(smtp_server.inbox.messages) == 1


def test_connection_refused_then_the_sweep_delivers_once(idle_smtp, awarded):
    huey.flush()
    tasks.send_award_email(awarded.id)
    row = _row()
    assert row.state == OutboxState.PENDING and row.attempts == 1
    idle_smtp.start()
    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # its back-off is over
    db.session.commit()
    assert outbox.due() == [row.id]
    outbox.enqueue(outbox.due())  # what the sweep does
    assert outbox.due() == []
    assert len(idle_smtp.inbox.messages) == 1 and _row().state == OutboxState.SENT


def test_a_crashed_worker_claim_is_taken_over_after_its_lease(smtp_server, awarded):
    [row_id] = outbox.write([award_email_row(awarded)])
    row = db.session.get(OutboxMessage, row_id)
    row.state, row.lease_until = OutboxState.SENDING, utcnow() + timedelta(minutes=5)
    db.session.commit()
    # Another worker holds a live claim: we must not send in parallel.
    assert outbox.dispatch(row_id) is None and smtp_server.inbox.messages == []
    assert outbox.due() == []
    row.lease_until = utcnow() - timedelta(seconds=1)  # …and then it died
    db.session.commit()
    assert outbox.due() == [row_id]
    assert outbox.dispatch(row_id) is None
    assert len(smtp_server.inbox.messages) == 1 and _row().state == OutboxState.SENT


def test_permanent_refusal_goes_to_the_dead_list_at_once(app, smtp_server, awarded):
    class Reject:
        def send(self, message):
            from app.notifications.mailer import MailPermanentError

            raise MailPermanentError("550 no such user")

    app.extensions["badgebridge.mailer"] = Reject()
    try:
        tasks.send_award_email(awarded.id)
    finally:
        del app.extensions["badgebridge.mailer"]
    row = _row()
    assert row.state == OutboxState.DEAD and row.attempts == 1 and "550" in row.last_error
    assert [(i.kind, i.id) for i in dead.dead_items()] == [("outbox", row.id)]
    tasks.send_award_email(awarded.id)  # owing it again does not revive it
    assert smtp_server.inbox.messages == [] and _row().state == OutboxState.DEAD


def test_learner_without_email_still_gets_the_badge_and_is_listed(smtp_server, app):
    course = CourseFactory()
    learner = PersonFactory(course=course, name="No Mail", email=None)
    PersonFactory(course=course, name="Has Mail", email="has@example.org")
    PersonFactory(course=course, name="Teacher", email=None, staff=True)
    assertion = AwardFactory(badge=BadgeFactory(context=course, name="Genetics"), user=learner)
    tasks.send_award_email(assertion.id)
    assert smtp_server.inbox.messages == []
    assert _row().state == OutboxState.NO_EMAIL
    [row] = queries.learners_without_email(course.id)
    assert (row.name, row.badges) == ("No Mail", 1)
    assert queries.award_email_states(course.id) == {assertion.id: OutboxState.NO_EMAIL}


def test_revoked_before_sending_sends_nothing(smtp_server, awarded):
    from app.awards import operations as awards

    awards.revoke(awarded, "mistake", actor=SYSTEM)
    db.session.query(OutboxMessage).delete()  # the revocation's own webhook rows, if any
    db.session.commit()
    tasks.send_award_email(awarded.id)
    assert smtp_server.inbox.messages == []
    assert _row().state == OutboxState.DROPPED


def test_without_smtp_url_the_mail_is_printed_to_the_log(app, awarded, caplog):
    app.config["SMTP_URL"] = None
    with caplog.at_level(logging.INFO, logger="app.notifications.mailer"):
        tasks.send_award_email(awarded.id)
    assert _row().state == OutboxState.SENT
    assert "You earned the Cell Biology badge" in caplog.text
    assert "/learner/accept/" in caplog.text


def test_smtp_url_forms():
    plain = SmtpSettings.from_url("smtp://127.0.0.1:8025")
    assert (plain.host, plain.port, plain.implicit_tls, plain.username) == (
        "127.0.0.1",
        8025,
        False,
        None,
    )
    tls = SmtpSettings.from_url("smtps://user%40example.org:p%3Ass@mail.example.org?timeout=5")
    assert (tls.port, tls.implicit_tls, tls.username, tls.password, tls.timeout) == (
        465,
        True,
        "user@example.org",
        "p:ss",
        5.0,
    )
    with pytest.raises(ValueError):
        SmtpSettings.from_url("http://mail.example.org")


def test_smtp_login_with_user_and_password(app, awarded):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.notifications.conftest import Inbox, free_port

    inbox = Inbox()
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"mailer" and auth_data.password == b"s3cr:t")

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    app.config["SMTP_URL"] = f"smtp://mailer:s3cr%3At@127.0.0.1:{port}"
    try:
        tasks.send_award_email(awarded.id)
    finally:
        controller.stop()
        app.config["SMTP_URL"] = None
    assert seen == [(b"mailer", b"s3cr:t")] and len(inbox.messages) == 1


def test_award_email_is_sent_for_a_badge_named_in_any_script(smtp_server, app):
    course = CourseFactory(title="Biology 101")
    learner = PersonFactory(
        course=course, name="Zoë 李\r\nBcc: all@example.org", email="zoe@example.org"
    )
    badge = BadgeFactory(
        issuer=IssuerFactory(name="Example University"),
        context=course,
        name="数据 🏅\r\nBcc: everyone@example.org",
    )
    tasks.send_award_email(AwardFactory(badge=badge, user=learner).id)
    [mail] = smtp_server.inbox.messages
    assert mail["Subject"] == (
        "You earned the 数据 🏅 Bcc: everyone@example.org badge in Biology 101"
    )
    [to] = mail["To"].addresses  # the name is quoted, not read as a group of addresses
    assert (to.display_name, to.addr_spec) == ("Zoë 李 Bcc: all@example.org", "zoe@example.org")
    assert mail["Bcc"] is None
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "数据 🏅 Bcc everyone@example.org.png"
    assert _row().state == OutboxState.SENT
