"""The accept link in the award email: a signed, expiring token naming one award.

Whoever holds the email may accept the award and change its visibility without logging in
(the email went to the recipient's own address); the token names the award only, so it grants
nothing else.
"""

from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.database import by_public_id
from app.openbadges.models import Assertion
from app.settings import number

_SALT = "badgebridge-accept-award"
DEFAULT_MAX_AGE = 90 * 24 * 3600  # a quarter: people read mail late, and links get forwarded


class AcceptTokenError(Exception):
    """The accept link is forged or has expired."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_accept_token(assertion_public_id: str) -> str:
    """Sign the award's public id into an accept token."""
    return _serializer().dumps({"a": assertion_public_id})


def read_accept_token(token: str) -> str:
    """The award's public id in ``token``, or `AcceptTokenError`."""
    max_age = int(number("ACCEPT_TOKEN_MAX_AGE", DEFAULT_MAX_AGE))
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AcceptTokenError(
            "This link has expired. Open the course to accept the badge."
        ) from exc
    except BadSignature as exc:
        raise AcceptTokenError("This link is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("a"), str):
        raise AcceptTokenError("This link is not valid.")
    return data["a"]


def emailed_assertion(token: str) -> Assertion:
    """The award an email's link names: 400 when the link is forged or expired, 404 when the
    award no longer exists."""
    try:
        public_id = read_accept_token(token)
    except AcceptTokenError as exc:
        abort(400, description=str(exc))
    assertion = by_public_id(Assertion, public_id)
    if assertion is None:
        abort(404, description=_("This badge no longer exists."))
    return assertion


def accept_url(assertion_public_id: str) -> str:
    """The absolute accept link for emails (built without a request)."""
    return (
        f"{current_app.config['PUBLIC_BASE_URL']}/learner/accept/"
        f"{make_accept_token(assertion_public_id)}"
    )
