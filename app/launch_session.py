"""Who is asking, after an LTI launch, without relying on third-party cookies.

The launch hands the browser a signed, short-lived *launch token*. Later requests carry it in
the ``Authorization: Bearer`` header, an ``X-Launch-Token`` header or an ``lt`` form/query
field. Because a cross-site attacker cannot read the token, a state-changing request that
carries it is also protected against CSRF, with no cookie involved.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from flask import abort, current_app, g, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "badgebridge-launch-token"


@dataclass(frozen=True)
class LaunchSession:
    """The identity a launch established: tenant, course, person and role."""

    registration_id: int
    deployment_id: int
    context_id: int
    user_id: int
    is_staff: bool
    launch_id: str = ""

    def token(self) -> str:
        """Sign this session into a launch token."""
        return _serializer().dumps(asdict(self))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


class LaunchTokenError(Exception):
    """The launch token is missing, forged or expired."""


def read_token(token: str) -> LaunchSession:
    """Verify a launch token and return its session."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["LAUNCH_TOKEN_MAX_AGE"])
    except SignatureExpired as exc:
        raise LaunchTokenError("Your session in this course has expired.") from exc
    except BadSignature as exc:
        raise LaunchTokenError("The session token is not valid.") from exc
    return LaunchSession(**data)


def _token_from_request() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return (
        request.headers.get("X-Launch-Token")
        or request.form.get("lt")
        or request.args.get("lt")
        or None
    )


def current_session() -> LaunchSession:
    """The launch session of this request (set by :func:`launch_required`)."""
    return g.launch_session


def launch_required(staff: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Protect a view: a valid launch token is required, and a staff role if ``staff``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = _token_from_request()
            if not token:
                return _refuse(401, "This page opens from a course in your LMS. Launch it there.")
            try:
                session = read_token(token)
            except LaunchTokenError as exc:
                return _refuse(401, f"{exc} Open the tool again from your course.")
            if staff and not session.is_staff:
                abort(403)
            g.launch_session = session
            g.launch_token = token
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _refuse(status: int, message: str) -> Any:
    return render_template("error.html", title="Please launch from your course",
                           message=message, status=status), status
