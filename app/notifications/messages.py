"""Composing the emails: one personal, branded message per purpose, HTML and plain text.

Built without a request (the jobs run in a worker): every link is absolute, on
``PUBLIC_BASE_URL``. Templates live in ``templates/email/`` (``<name>.html`` + ``<name>.txt``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.database import as_utc
from app.downloads import file_name, one_line
from app.extensions import db
from app.i18n import current_locale, format_date, html_lang, locale_of
from app.models import Context, LtiUser
from app.openbadges import documents, urls
from app.openbadges.models import Assertion, BadgeImage
from app.sharing.models import ShareChannel, ShareSource
from badge_design.baking import OB3_KEYWORD, bake_png

log = logging.getLogger(__name__)


def message_id(key: str) -> str:
    """A Message-ID derived from the delivery key: the same email keeps the same id on every
    attempt, so a copy that slipped through after a crash is folded by mail clients."""
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(f"{current_app.config['PUBLIC_BASE_URL']}|{key}".encode())
    return f"<{digest.hexdigest()[:32]}@{domain}>"


def _base_message(
    *,
    key: str,
    to_name: str,
    to_email: str,
    subject: str,
    sender_name: str,
    reply_to: str | None,
    template: str,
    **context: Any,
) -> EmailMessage:
    message = EmailMessage()
    from_name, from_addr = parseaddr(current_app.config["MAIL_FROM"])
    # The institution's name in the From display: the mail is theirs, Badgebridge carries it.
    # Names and subjects carry people's text: on one line, so no name can add a header.
    sender_name, to_name = one_line(sender_name), one_line(to_name)
    # Address objects, not formatted strings: the header registry quotes a display name with
    # ":" or "@" in it instead of reading it back as a group of other addresses.
    message["From"] = Address(
        display_name=_("%(sender)s via Badgebridge", sender=sender_name)
        if sender_name
        else from_name or "Badgebridge",
        addr_spec=from_addr,
    )
    message["To"] = (
        Address(display_name=to_name, addr_spec=to_email) if to_name and to_email else to_email
    )
    if reply_to and "@" in reply_to:
        message["Reply-To"] = str(Address(addr_spec=reply_to))
    message["Subject"] = one_line(subject)
    message["Message-ID"] = message_id(key)
    # RFC 3834: tells auto-responders (out-of-office) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    context.setdefault("base_url", current_app.config["PUBLIC_BASE_URL"])
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    # After the body: setting content clears Content-* headers. RFC 3282.
    message["Content-Language"] = html_lang(current_locale())
    return message


def share_link(assertion: Assertion, channel: str) -> str:
    """A counted share link for an email (``from=email`` so analytics can tell)."""
    return (
        f"{current_app.config['PUBLIC_BASE_URL']}/share/{assertion.public_id}/{channel}"
        f"?from={ShareSource.EMAIL}"
    )


def _course(assertion: Assertion) -> Context | None:
    context_id = assertion.badge.context_id
    return db.session.get(Context, context_id) if context_id else None


def _fmt(moment: datetime | None) -> str:
    return format_date(as_utc(moment).date()) if moment else ""


def recipient_locale(assertion: Assertion) -> str:
    """The learner's language from their last launch ("" when unknown: the default)."""
    if assertion.lti_user_id is None:
        return ""
    user = db.session.get(LtiUser, assertion.lti_user_id)
    return user.locale if user is not None else ""


def _baked_png(assertion: Assertion) -> bytes | None:
    image = db.session.scalar(
        select(BadgeImage).where(
            BadgeImage.badge_id == assertion.badge_id, BadgeImage.version == assertion.image_version
        )
    )
    if image is None:
        return None
    import json

    return bake_png(
        image.png_512, OB3_KEYWORD, json.dumps(assertion.credential, ensure_ascii=False)
    )


@dataclass(frozen=True)
class AwardFacts:
    """What the award email says, gathered once (the templates get plain values)."""

    learner_name: str
    badge_name: str
    badge_description: str
    criteria: str
    course: str
    institution: str
    issued_on: str
    expires_on: str
    image_url: str
    verify_url: str
    accept_url: str
    wallet_url: str  # "Add to wallet" (a page behind the accept link's token)
    linkedin_url: str
    post_url: str
    png_url: str
    course_url: str


def award_facts(assertion: Assertion) -> AwardFacts:
    from app.learner.tokens import accept_url

    badge = assertion.badge
    context = _course(assertion)
    return AwardFacts(
        learner_name=(assertion.recipient_name or "").strip(),
        badge_name=badge.name,
        badge_description=badge.description,
        criteria=badge.criteria_narrative,
        course=(context.title if context else "") or "",
        institution=badge.issuer.name,
        issued_on=_fmt(assertion.issued_on),
        expires_on=_fmt(assertion.expires_at),
        image_url=documents.badge_image_url(badge, assertion.image_version),
        verify_url=urls.public_url(urls.VERIFY_PAGE, assertion.public_id),
        accept_url=accept_url(assertion.public_id),
        wallet_url=accept_url(assertion.public_id) + "/wallet",
        linkedin_url=share_link(assertion, ShareChannel.LINKEDIN_PROFILE),
        post_url=share_link(assertion, ShareChannel.LINKEDIN_POST),
        png_url=share_link(assertion, ShareChannel.DOWNLOAD_PNG),
        course_url="",
    )


def award_message(assertion: Assertion, key: str) -> EmailMessage:
    """The award email, in the learner's language: congratulations, what the badge means,
    accept and LinkedIn links, the baked badge attached (it verifies on its own, wherever the
    learner keeps it)."""
    with locale_of(recipient_locale(assertion)):
        facts = award_facts(assertion)
        message = _base_message(
            key=key,
            to_name=facts.learner_name,
            to_email=assertion.recipient_email or "",
            subject=_(
                "You earned the %(badge)s badge in %(course)s",
                badge=facts.badge_name,
                course=facts.course,
            )
            if facts.course
            else _("You earned the %(badge)s badge", badge=facts.badge_name),
            sender_name=facts.institution,
            reply_to=assertion.badge.issuer.email,
            template="award",
            facts=facts,
        )
    png = _baked_png(assertion)
    if png is not None:
        language = message["Content-Language"]
        message.add_attachment(
            png,
            maintype="image",
            subtype="png",
            filename=f"{file_name(facts.badge_name) or 'badge'}.png",
        )
        # Attaching moves the Content-* headers into the body part: say the language again.
        message["Content-Language"] = language
    return message


def expiry_message(assertion: Assertion, key: str, *, today: bool) -> EmailMessage:
    """A reminder that an award expires in thirty days, or today, in the learner's language."""
    with locale_of(recipient_locale(assertion)):
        facts = award_facts(assertion)
        subject = (
            _("Your %(badge)s badge expires today", badge=facts.badge_name)
            if today
            else _(
                "Your %(badge)s badge expires on %(date)s",
                badge=facts.badge_name,
                date=facts.expires_on,
            )
        )
        return _base_message(
            key=key,
            to_name=facts.learner_name,
            to_email=assertion.recipient_email or "",
            subject=subject,
            sender_name=facts.institution,
            reply_to=assertion.badge.issuer.email,
            template="expiry",
            facts=facts,
            today=today,
        )


@dataclass(frozen=True)
class DigestLine:
    learner: str
    badge: str
    issued_on: str
    verify_url: str


@dataclass(frozen=True)
class DigestCourse:
    title: str
    lines: list[DigestLine]


def digest_message(
    *,
    key: str,
    name: str,
    email: str,
    day: str,
    courses: list[DigestCourse],
    locale: str = "",
) -> EmailMessage:
    """An instructor's summary of yesterday's awards in their courses (``day``: ISO date),
    in their language (``locale``, from their last launch)."""
    total = sum(len(c.lines) for c in courses)
    with locale_of(locale):
        shown_day = format_date(date.fromisoformat(day))
        return _base_message(
            key=key,
            to_name=name,
            to_email=email,
            subject=ngettext(
                "%(num)s badge awarded in your courses (%(day)s)",
                "%(num)s badges awarded in your courses (%(day)s)",
                total,
                day=shown_day,
            ),
            sender_name="",
            reply_to=None,
            template="digest",
            name=name,
            day=shown_day,
            courses=courses,
            total=total,
        )
