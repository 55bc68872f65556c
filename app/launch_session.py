"""Who is asking, after an LTI launch, without relying on third-party cookies.

The launch hands the browser a signed, short-lived *launch token*. Later requests carry it in
the ``Authorization: Bearer`` header, an ``X-Launch-Token`` header or an ``lt`` form/query
field. Because a cross-site attacker cannot read the token, a state-changing request that
carries it is also protected against CSRF, with no cookie involved.

A token vouches for a launch only as long as what it names still stands: every request checks
the registration, the deployment and the person's membership as they are now, and every page
served renews the token once it is older than :data:`RENEW_AFTER` (sliding expiry), so an
idle token soon dies while a working session goes on. Tokens are never written to the request
log.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import quote

from flask import Flask, after_this_request, current_app, g, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import Select, bindparam, select

from app import registration_cache
from app.error_pages import error_page
from app.extensions import db
from app.models import Context, LtiUser, Membership
from app.secret_box import signing_keys

_SALT = "badgebridge-launch-token"
DEFAULT_MAX_AGE = 900  # seconds; each page renews it, so only idle tokens run out
# A page opened with a token younger than this hands the same token on: re-signing it (about
# a fifth of a learner page's own CPU after the launch that just signed it) would extend its
# life by seconds only.
RENEW_AFTER = 60


@dataclass(frozen=True)
class LaunchSession:
    """The identity a launch established: tenant, course, person and role."""

    registration_id: int
    deployment_id: int
    context_id: int
    user_id: int
    is_staff: bool
    launch_id: str = ""
    # A deep linking launch, whose launch data is stored to answer the platform (no other is).
    deep_linking: bool = False
    # The launch's language (app.i18n.launch_locale): signed in, so no query per request.
    locale: str = ""

    def token(self) -> str:
        """Sign this session into a launch token."""
        return _serializer().dumps(asdict(self))


def _serializer() -> URLSafeTimedSerializer:
    # Keys of their own, derived from SECRET_KEY (and its fallbacks, so a rotation does not
    # end every session): never the key that encrypts secrets at rest.
    return URLSafeTimedSerializer(signing_keys("launch-token"), salt=_SALT)


@dataclass
class LaunchTokenError(Exception):
    """The launch token is missing, forged, expired, or no longer backed by its launch."""

    message: str
    code: str = "launch_token_invalid"
    status: int = 401
    hint: str = ""

    def __str__(self) -> str:
        return self.message


def read_token(token: str) -> LaunchSession:
    """Verify a launch token's signature and age and return its session."""
    return _read_token(token)[0]


def _read_token(token: str) -> tuple[LaunchSession, float]:
    """The token's session and its age in seconds (see :func:`read_token`)."""
    max_age = int(current_app.config.get("LAUNCH_TOKEN_MAX_AGE") or DEFAULT_MAX_AGE)
    try:
        data, signed_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise LaunchTokenError(
            _("Your session in this course has expired."), "launch_token_expired"
        ) from exc
    except BadSignature as exc:
        raise LaunchTokenError(_("The session token is not valid.")) from exc
    return LaunchSession(**data), time.time() - signed_at.timestamp()


@dataclass(frozen=True)
class CourseShown:
    """The course of a launch session, as its pages show it."""

    id: int
    title: str | None
    label: str | None
    lti_context_id: str


@dataclass(frozen=True)
class PersonShown:
    """The person of a launch session, as its pages show them."""

    id: int
    name: str | None
    sub: str
    email: str | None


@dataclass(frozen=True)
class Standing:
    """The membership behind a launch session as it stands now, with its course and person."""

    is_staff: bool
    context: CourseShown
    user: PersonShown


@functools.cache
def _membership_query() -> Select[Any]:
    # The course and the person come along in the same statement: the page reads them next.
    # Built once (composing it costs more than running it); plain columns, no ORM objects.
    m, c, u = Membership.__table__.c, Context.__table__.c, LtiUser.__table__.c
    return (
        select(m.is_staff, c.title, c.label, c.lti_context_id, u.name, u.sub, u.email)
        .join_from(Membership.__table__, Context.__table__, c.id == m.context_id)
        .join(LtiUser.__table__, u.id == m.user_id)
        .where(m.context_id == bindparam("context_id"), m.user_id == bindparam("user_id"))
    )


def current_standing(session: LaunchSession) -> LaunchSession:
    """The session as the database says it stands now; raises when it no longer does.

    A disabled registration or deployment ends every session under it, and a role change in
    the LMS (seen at a launch or a roster sync) takes effect here, so a demoted instructor's
    old token opens no staff page. The roster's ``active`` flag does not end sessions: LMS
    administrators launch into courses they are not enrolled in (no roster lists them), and a
    member the LMS removed gets no new launch while their idle token soon expires.
    """
    active = registration_cache.snapshot()
    registration = active.by_id.get(session.registration_id)
    if registration is None:
        raise LaunchTokenError(
            _("This LMS's connection to Badgebridge has been disabled."),
            "registration_disabled",
            403,
            _(
                "A Badgebridge administrator disabled (or has not approved) this registration; "
                "re-enable it in the admin console if that was a mistake."
            ),
        )
    deployment = active.deployments_by_id.get(session.deployment_id)
    if deployment is None or deployment.registration_id != registration.id:
        raise LaunchTokenError(
            _("This deployment of Badgebridge in your LMS has been disabled."),
            "deployment_disabled",
            403,
            _("Re-enable the deployment in Badgebridge's admin console if that was a mistake."),
        )
    row = db.session.execute(
        _membership_query(), {"context_id": session.context_id, "user_id": session.user_id}
    ).first()
    if row is None:
        raise LaunchTokenError(
            _("Badgebridge no longer knows you in this course."),
            "membership_gone",
            403,
            _("Launch the tool again from the course."),
        )
    is_staff = bool(row.is_staff)
    g.launch_membership = Standing(
        is_staff,
        CourseShown(session.context_id, row.title, row.label, row.lti_context_id),
        PersonShown(session.user_id, row.name, row.sub, row.email),
    )
    if is_staff != session.is_staff:
        return replace(session, is_staff=is_staff)
    return session


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


def current_membership() -> Standing:
    """The membership behind this request's launch session, with its course and person
    (set by :func:`launch_required`)."""
    return g.launch_membership


def launch_required(staff: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Protect a view: a valid launch token whose launch still stands is required, and a
    staff role if ``staff``. The page gets a renewed token (``launch_token`` in templates,
    the ``X-Launch-Token`` response header for scripts)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = _token_from_request()
            if not token:
                return _refuse(
                    LaunchTokenError(
                        _("This page opens from a course in your LMS. Launch it there."),
                        "launch_token_missing",
                    )
                )
            try:
                signed, age = _read_token(token)
                session = current_standing(signed)
            except LaunchTokenError as exc:
                if exc.status == 401:
                    exc.message += " " + _("Open the tool again from your course.")
                return _refuse(exc)
            if staff and not session.is_staff:
                return _refuse(
                    LaunchTokenError(_("This page is for the course's staff."), "not_staff", 403)
                )
            g.launch_session = session
            young = session is signed and 0 <= age < RENEW_AFTER
            g.launch_token = renewed = token if young else session.token()

            @after_this_request
            def renew(response: Any) -> Any:
                response.headers["X-Launch-Token"] = renewed
                # Pages carry the token: keep them out of shared caches and the back-forward
                # cache of a shared computer.
                response.headers["Cache-Control"] = "no-store"
                return response

            return view(*args, **kwargs)

        return wrapped

    return decorator


def launch_token() -> str | None:
    """This request's renewed launch token (None outside a page behind the launch)."""
    return g.get("launch_token")


_BUILT_URLS = "badgebridge.built_urls"
_BUILT_URLS_MAX = 512  # constant arguments only (see built_url): a few dozen in practice


def built_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for constant arguments (a stylesheet, a script, a page
    without parameters), built once per application and script root.

    Werkzeug builds a URL in about 15 µs; the pages of a launch build the same dozen each
    time. Endpoints whose blueprint (or the app) injects URL defaults are built every time,
    as those may depend on the request."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = (request.script_root, endpoint, tuple(values.items()))
    memo: dict[Any, str] = app.extensions.setdefault(_BUILT_URLS, {})
    url = memo.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(memo) < _BUILT_URLS_MAX and not _has_url_defaults(app, endpoint):
            memo[key] = url
    return url


def _has_url_defaults(app: Flask, endpoint: str) -> bool:
    names: list[str | None] = [None]
    if "." in endpoint:
        parts = endpoint.rpartition(".")[0].split(".")
        names += [".".join(parts[: i + 1]) for i in range(len(parts))]
    return any(app.url_default_functions.get(name) for name in names)


def launch_url(endpoint: str, **values: Any) -> str:
    """``url_for`` a page behind the launch: the link carries this request's launch token.

    The one way pages and redirects link to one another inside the LMS frame (also a
    template global). Only such links get the token: public pages never see it."""
    token = launch_token()
    if values or not token:
        return url_for(endpoint, lt=token, **values)
    # A page without parameters: its path is built once, the token appended as url_for would.
    return f"{built_url(endpoint)}?lt={quote(token, safe='')}"


def launch_field() -> Markup:
    """The hidden form field that carries the launch token in a POST (a template global)."""
    return Markup('<input type="hidden" name="lt" value="{}">').format(launch_token() or "")


def _refuse(exc: LaunchTokenError) -> Any:
    title = _("Please launch from your course") if exc.status == 401 else _("Not allowed")
    return error_page(exc, title)


_TOKEN_IN_URL = re.compile(r"([?&]lt=)[^&\s\"]+")


class _RedactLaunchTokens(logging.Filter):
    """Replace launch tokens in logged request lines (werkzeug, gunicorn access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "lt=" in message:
            record.msg, record.args = _TOKEN_IN_URL.sub(r"\1[redacted]", message), ()
        return True


def init_app(app: Flask) -> None:
    """Give templates the launch token (``launch_token``, :func:`launch_url`,
    :func:`launch_field`) and :func:`built_url`, and keep the token out of the request logs
    of the dev server and of gunicorn."""
    app.add_template_global(launch_url)
    app.add_template_global(launch_field)
    app.add_template_global(built_url)  # every page's stylesheet and scripts (base.html)
    app.context_processor(lambda: {"launch_token": launch_token()})
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactLaunchTokens) for f in logger.filters):
            logger.addFilter(_RedactLaunchTokens())
