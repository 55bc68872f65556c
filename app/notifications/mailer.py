"""How a message leaves: SMTP configured by ``SMTP_URL``, or the log when it is unset.

``SMTP_URL`` forms: ``smtp://host:port`` (STARTTLS whenever the server offers it),
``smtp://user:pass@host:587`` (login after STARTTLS), ``smtps://user:pass@host:465``
(TLS from the first byte). User and password are percent-decoded. ``?timeout=N`` sets the
socket timeout (default 30 s).

Failures are sorted into two kinds, because only one of them is worth retrying:
`MailTemporaryError` (connection refused, timeouts, 4xx replies, a login the operator must
fix) and `MailPermanentError` (5xx refusals of the message or recipient).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from app.background.handlers import GiveUp

log = logging.getLogger(__name__)


class MailError(Exception):
    """Sending failed."""


class MailTemporaryError(MailError):
    """Sending failed for now; the same message may be tried again later."""


class MailPermanentError(MailError, GiveUp):
    """The server refused the message for good; retrying cannot help."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the next hop, or raise a `MailError`."""


class LogMailer:
    """The laptop default: print the message to the log instead of sending it."""

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        log.info(
            "email (SMTP_URL unset, not sent)\nTo: %s\nSubject: %s\nMessage-ID: %s\n\n%s",
            message["To"],
            message["Subject"],
            message["Message-ID"],
            text.get_content() if text is not None else "",
        )


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("SMTP_URL needs a host")
        implicit = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        timeout = float(query.get("timeout", ["30"])[0])
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )


class SmtpMailer:
    """One SMTP connection per message: mail volume is low (one per award), and a fresh
    connection never trips over a server that dropped an idle one."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.implicit_tls:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        return smtp

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS failed
            raise MailTemporaryError(f"cannot reach {s.host}:{s.port}: {exc}") from exc
        try:
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            # A wrong password is the operator's to fix; keep the mail until they do.
            raise MailTemporaryError(f"SMTP login refused: {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise _by_code(min(codes) if codes else 550, "recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error
            text = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
            raise _by_code(exc.smtp_code, text) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise MailTemporaryError(f"SMTP conversation failed: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _by_code(code: int, text: str) -> MailError:
    if 400 <= code < 500:
        return MailTemporaryError(f"{code} {text}")
    return MailPermanentError(f"{code} {text}")


def get_mailer() -> Mailer:
    """The mailer the configuration asks for (a test may put its own in
    ``app.extensions["badgebridge.mailer"]``)."""
    override = current_app.extensions.get("badgebridge.mailer")
    if override is not None:
        return override
    url = current_app.config.get("SMTP_URL")
    if not url:
        return LogMailer()
    return SmtpMailer(SmtpSettings.from_url(url))
