"""What the console and ``flask admin`` change: accounts and the tool's keys (registrations:
:mod:`app.registrations.operations` and :mod:`app.registrations.queries`).

Callable without a request; views and commands parse input, call one of these, render.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.admin import security
from app.admin.models import AdminUser
from app.extensions import db
from app.models import ToolKey
from lti import keys

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@functools.cache
def _dummy_hash() -> str:
    # Compared against when the email is unknown, so a wrong email costs as long as a wrong
    # password. Made on first use, not at import: scrypt takes 32 MiB (every process's peak
    # memory) and 0.1 s of CPU, which processes that sign nobody in (a queue consumer) spare.
    return generate_password_hash(secrets.token_urlsafe(16))


class AdminError(ValueError):
    """An admin operation was refused; the message says why, for a person."""


# Accounts.
def create_user(email: str, password: str | None = None) -> tuple[AdminUser, str]:
    """Create a console account; returns it and its password (generated when not given)."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AdminError(_("%(email)s is not an email address.", email=repr(email)))
    if password is None:
        password = secrets.token_urlsafe(15)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(
            _("The password must have at least %(value)s characters.", value=MIN_PASSWORD_LENGTH)
        )
    if db.session.scalars(select(AdminUser).filter_by(email=email)).first():
        raise AdminError(_("An admin account for %(email)s already exists.", email=email))
    user = AdminUser(email=email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    log.info("admin account created: %s", email)
    return user, password


def authenticate(email: str, password: str, address: str) -> AdminUser | None:
    """The active account with this email and password, or None; ``security.Throttled``
    while the account or the address must wait after failed attempts."""
    keys = security.throttle_keys(email, address)
    security.check_throttle(keys)
    user = db.session.scalars(
        select(AdminUser).filter_by(email=email.strip().lower(), active=True)
    ).first()
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not matches:
        log.warning("admin sign-in refused for %s from %s", email[:320], address)
        security.record_failure(keys)
        return None
    security.clear_failures(keys[0])
    return user


def change_password(email: str, password: str) -> AdminUser:
    """Set an account's password; every session of it ends."""
    user = find_user(email)
    try:
        security.set_password(user, password, MIN_PASSWORD_LENGTH)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    return user


def find_user(email: str) -> AdminUser:
    """The account with this email, or AdminError."""
    user = db.session.scalars(select(AdminUser).filter_by(email=email.strip().lower())).first()
    if user is None:
        raise AdminError(_("No admin account %(email)s.", email=email))
    return user


# Keys.
def tool_keys() -> list[ToolKey]:
    """The tool's keys, newest first (retired ones too, for the record)."""
    keys.active_key()  # a fresh install shows its first key rather than an empty list
    keys.retire_expired()
    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.id.desc())))


def rotate_keys(overlap_days: int) -> ToolKey:
    """A new signing key; the old one stays published for ``overlap_days``."""
    if not 0 <= overlap_days <= 90:
        raise AdminError(_("The overlap must be between 0 and 90 days."))
    key = keys.rotate(timedelta(days=overlap_days))
    log.info("tool key rotated: new kid %s, overlap %s days", key.kid, overlap_days)
    return key
