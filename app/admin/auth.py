"""The console's session: a signed first-party cookie holding a session id and a CSRF token.

Not Flask's ``session``: pylti1p3 may use that one inside LMS iframes. This cookie is
``SameSite=Strict``, ``HttpOnly`` and scoped to ``/admin``; it is signed with SECRET_KEY under
a salt of its own, so no launch token can pass for it. The id names a server-side session row
(:mod:`app.admin.security`), checked on every request: signing out or a password change ends
it for every copy of the cookie. A session that still owes its second factor opens nothing
but the second-factor page.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.admin import security
from app.admin.models import AdminUser
from app.extensions import db
from app.models import Registration

COOKIE = "badgebridge_admin"
MAX_AGE = int(security.SESSION_MAX_AGE.total_seconds())
_SALT = "badgebridge-admin-session"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def load_session() -> None:
    """Read the console cookie into ``g.admin_session`` (a fresh one if absent or invalid)."""
    data: dict[str, Any] = {}
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer().loads(raw, max_age=MAX_AGE)
        except BadSignature:
            data = {}
    g.admin_session_changed = not isinstance(data, dict) or "csrf" not in data
    if g.admin_session_changed:
        data = {"csrf": secrets.token_urlsafe(32)}
    g.admin_session = data
    row = security.find_session(data.get("sid"))
    g.admin_session_row = row
    g.admin_user = row.user if row is not None and row.second_factor_at is not None else None


def save_session(response: Response) -> Response:
    """Write the console cookie back when it changed."""
    if getattr(g, "admin_session_changed", False):
        response.set_cookie(
            COOKIE,
            _serializer().dumps(g.admin_session),
            max_age=MAX_AGE,
            path="/admin",
            httponly=True,
            samesite="Strict",
            secure=current_app.config["PUBLIC_BASE_URL"].startswith("https://"),
        )
    # Console pages hold registration details: never cache them, never frame them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def sign_in(user: AdminUser) -> bool:
    """Start an admin's session; a new CSRF token too, so a planted one dies here.

    Returns whether the session is complete (False: the second factor is still owed)."""
    token = security.start_session(user)
    g.admin_session = {"sid": token, "csrf": secrets.token_urlsafe(32)}
    g.admin_session_changed = True
    g.admin_session_row = security.find_session(token)
    g.admin_user = user if g.admin_session_row.second_factor_at is not None else None
    return g.admin_user is not None


def pending_session():
    """The session of this request that still owes its second factor, or None."""
    row = g.get("admin_session_row")
    return row if row is not None and row.second_factor_at is None else None


def sign_out() -> None:
    """End this session server-side and start a fresh, anonymous cookie."""
    if g.get("admin_session_row") is not None:
        security.revoke_session(g.admin_session_row)
    g.admin_session = {"csrf": secrets.token_urlsafe(32)}
    g.admin_session_changed = True
    g.admin_session_row = None
    g.admin_user = None


def csrf_token() -> str:
    """The token every console form carries."""
    return g.admin_session["csrf"]


def flash(message: str) -> None:
    """A one-time notice for the next page (kept in the console cookie, not Flask's session)."""
    g.admin_session["notice"] = message
    g.admin_session_changed = True


def take_notice() -> str | None:
    notice = g.admin_session.pop("notice", None)
    if notice:
        g.admin_session_changed = True
    return notice


def check_csrf() -> None:
    """Refuse a state-changing request whose form lacks this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, csrf_token()):
        abort(
            400,
            description="The form has expired or did not come from this console. "
            "Reload the page and try again.",
        )


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a signed-in admin; everyone else (LTI launches included) goes to the login."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.admin_user is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def console_blueprint(name: str, url_prefix: str) -> Blueprint:
    """A blueprint of the admin console: its own session cookie, CSRF checks on every form,
    and the console's template globals."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    bp.before_request(load_session)
    bp.before_request(check_csrf)
    bp.after_request(save_session)

    @bp.context_processor
    def console_globals() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "admin_user": g.get("admin_user")}

    return bp


def console_registration(public_id: str) -> Registration:
    """The registration a console URL names, or 404. The web uses public ids only; sequential
    ids are for the local CLI."""
    row = db.session.scalars(select(Registration).filter_by(public_id=public_id)).first()
    if row is None:
        abort(404)
    return row
