"""Console sign-in protection: throttling, server-side sessions, TOTP and recovery codes.

Callable without a request (the views and ``flask admin`` pass plain values).

- **Throttling.** Each failed sign-in counts against the account and against the address;
  past a few free failures each one doubles the wait (capped), and while an account or an
  address waits its password is not even checked. A success clears the account's count.
- **Sessions.** A session is a row; the cookie carries a random id whose hash the row keeps.
  Signing out revokes the row, a password change revokes all of the account's rows.
- **TOTP** (RFC 6238, pyotp): a code is accepted once (its time step is remembered); ten
  single-use recovery codes are shown once at enrolment and kept as SHA-256 hashes (they
  are random, 80 bits: a slow hash adds nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app import secret_box
from app.admin.models import AdminSession, AdminUser, LoginThrottle
from app.database import affected_rows
from app.extensions import db
from app.models.base import utcnow

log = logging.getLogger(__name__)

SESSION_MAX_AGE = timedelta(hours=12)  # an admin signs in again after half a day
#: Failures allowed before waiting starts: few per account, more per (possibly shared) address.
FREE_FAILURES = {"account": 3, "address": 10, "totp": 3}
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 15 * 60
RECOVERY_CODES = 10
ISSUER_NAME = "Badgebridge"


class Throttled(Exception):
    """Too many failures: try again in ``seconds``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed attempts; wait {seconds} s")
        self.seconds = seconds


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- throttling ----------------------------------------------------------------------------


def throttle_keys(email: str, address: str) -> list[str]:
    """The counters a sign-in with ``email`` from ``address`` is measured against."""
    return [f"account:{email.strip().lower()[:320]}", f"address:{address[:64]}"]


def wait_seconds(keys: list[str]) -> int:
    """How long any of ``keys`` must still wait (0: go ahead)."""
    now = utcnow()
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    waits = [(r.locked_until - now).total_seconds() for r in rows if r.locked_until]
    return max(0, int(max(waits, default=0) + 0.999))


def check_throttle(keys: list[str]) -> None:
    """Throttled when any of ``keys`` must wait."""
    if seconds := wait_seconds(keys):
        raise Throttled(seconds)


def record_failure(keys: list[str]) -> None:
    """Count a failure on each key; past the free ones, the wait doubles each time."""
    now = utcnow()
    for key in keys:
        row = db.session.scalars(select(LoginThrottle).filter_by(key=key)).first()
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            db.session.add(row)
        row.failures += 1
        over = row.failures - FREE_FAILURES[key.split(":", 1)[0]]
        if over > 0:
            delay = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (over - 1))
            row.locked_until = now + timedelta(seconds=delay)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent failure made the row first: that one counted
        db.session.rollback()


def clear_failures(key: str) -> None:
    """Forget the failures of ``key`` (after a success)."""
    row = db.session.scalars(select(LoginThrottle).filter_by(key=key)).first()
    if row is not None:
        db.session.delete(row)
        db.session.commit()


# --- sessions ------------------------------------------------------------------------------


def start_session(user: AdminUser) -> str:
    """A new session of ``user``; returns the id for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # The account's expired sessions go as a new one starts: the table stays small.
    db.session.execute(
        delete(AdminSession).where(
            AdminSession.user_id == user.id, AdminSession.created_at < now - SESSION_MAX_AGE
        )
    )
    db.session.add(
        AdminSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            second_factor_at=None if user.totp_enabled else now,
        )
    )
    user.last_login_at = now
    db.session.commit()
    return token


def find_session(token: str | None) -> AdminSession | None:
    """The live session whose cookie id is ``token`` (not revoked, not expired, active user)."""
    if not token:
        return None
    row = db.session.scalars(select(AdminSession).filter_by(token_hash=_hash(token))).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if utcnow() - row.created_at > SESSION_MAX_AGE:
        return None
    return row


def revoke_session(row: AdminSession) -> None:
    """End one session (sign out)."""
    row.revoked_at = utcnow()
    db.session.commit()


def revoke_all_sessions(user: AdminUser) -> int:
    """End every session of ``user``; returns how many were live."""
    revoked = affected_rows(
        update(AdminSession)
        .where(AdminSession.user_id == user.id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return revoked


def set_password(user: AdminUser, password: str, min_length: int) -> None:
    """Change ``user``'s password and end all of their sessions."""
    if len(password) < min_length:
        raise ValueError(f"The password must have at least {min_length} characters.")
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    revoke_all_sessions(user)


# --- TOTP and recovery codes ---------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A TOTP secret offered to an account, not yet confirmed."""

    secret: str
    uri: str  # otpauth:// for authenticator apps


def new_enrolment(user: AdminUser) -> Enrolment:
    """A fresh TOTP secret for ``user`` (stored only once a code confirms it)."""
    secret = pyotp.random_base32()
    return Enrolment(
        secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER_NAME)
    )


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is ``code``."""
    totp = pyotp.TOTP(secret)
    now = int(utcnow().timestamp()) // totp.interval
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable_totp(user: AdminUser, secret: str, code: str) -> list[str]:
    """Turn TOTP on once ``code`` proves the app holds ``secret``; returns the recovery codes
    (shown once). ValueError when the code does not match."""
    step = _matching_step(secret, code.strip().replace(" ", ""), None)
    if step is None:
        raise ValueError("That code does not match: check the app's clock and try again.")
    codes = [f"{secrets.token_hex(5)}-{secrets.token_hex(5)}" for _ in range(RECOVERY_CODES)]
    user.totp_secret_encrypted = secret_box.encrypt(secret.encode())
    user.totp_last_step = step
    user.recovery_code_hashes = [_hash(c) for c in codes]
    db.session.commit()
    log.info("admin %s enabled TOTP", user.public_id)
    return codes


def disable_totp(user: AdminUser) -> None:
    """Turn the second factor off (forget the secret and the recovery codes)."""
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.recovery_code_hashes = []
    db.session.commit()
    log.info("admin %s disabled TOTP", user.public_id)


def check_second_factor(user: AdminUser, code: str) -> bool:
    """Whether ``code`` is a current TOTP code not used before, or an unused recovery code
    (which is then spent)."""
    code = code.strip().replace(" ", "").lower()
    if user.totp_secret_encrypted is None:  # no second factor set up
        return False
    secret = secret_box.decrypt(user.totp_secret_encrypted).decode()
    if code.isdigit():
        step = _matching_step(secret, code, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            db.session.commit()
            return True
        return False
    hashed = _hash(code)
    if any(hmac.compare_digest(hashed, h) for h in user.recovery_code_hashes):
        user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != hashed]
        db.session.commit()
        log.warning(
            "admin %s used a recovery code (%d left)",
            user.public_id,
            len(user.recovery_code_hashes),
        )
        return True
    return False


def complete_second_factor(row: AdminSession, code: str) -> bool:
    """Finish a pending session with a second-factor code (throttled per account)."""
    key = f"totp:{row.user.public_id}"
    check_throttle([key])
    if not check_second_factor(row.user, code):
        record_failure([key])
        return False
    clear_failures(key)
    row.second_factor_at = utcnow()
    db.session.commit()
    return True
