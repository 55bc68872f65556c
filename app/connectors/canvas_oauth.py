"""Canvas OAuth 2 for the gradebook connector: a Canvas API developer key per registration, an
instructor authorizing each course once, and access tokens kept fresh with the refresh token.

Canvas's flow (``doc/api/oauth.md``, ``oauth2_provider_controller.rb``): the browser goes to
``/login/oauth2/auth?client_id&response_type=code&redirect_uri&state[&scope]``, Canvas sends
it back with ``code`` (or ``error``), and ``POST /login/oauth2/token`` trades the code for an
access token (an hour), a refresh token and the user. ``grant_type=refresh_token`` gives a
new access token (no new refresh token). A refresh token that no longer exists (the user or an
admin deleted the token, ``DELETE /login/oauth2/token``) answers 400 ``invalid_request``
"refresh_token not found"; a wrong developer key 401 ``invalid_client``. Where the key enforces
scopes, the authorization must name each API route it will call (:data:`SCOPES`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from sqlalchemy import select

from app import outbound, secret_box
from app.connectors.base import ConnectorError
from app.connectors.models import (
    CanvasAuthorization,
    ConnectorAuth,
    ConnectorKind,
    GradebookConnector,
)
from app.database import in_transaction
from app.extensions import cache, db
from app.i18n import stored, translatable
from app.models import LtiUser, Membership
from app.models.base import utcnow

log = logging.getLogger(__name__)

# Canvas scope strings are the API routes as config/routes.rb names them; a key with "Enforce
# Scopes" on grants only the routes listed in the authorization (README "Canvas").
SCOPES: tuple[str, ...] = (
    "url:GET|/api/v1/courses/:course_id/assignments",
    "url:GET|/api/v1/courses/:course_id/students/submissions",
    "url:GET|/api/v1/courses/:course_id/enrollments",
    "url:GET|/api/v1/courses/:course_id/users/:id",
    "url:GET|/api/v1/courses/:course_id/modules",
    "url:GET|/api/v1/courses/:course_id/modules/:module_id/items",
)
STATE_TTL = 600  # seconds an authorization may take, as Canvas keeps its codes 10 minutes
EARLY = timedelta(seconds=60)  # refresh a token this long before Canvas would refuse it
REAUTHORIZE = translatable(
    "Canvas no longer accepts this course's authorization (the token was deleted in Canvas "
    "or has expired). Open Badgebridge from the course as an instructor and choose "
    "\u201cAuthorize Canvas\u201d on the course page to authorize it again."
)


class AuthorizationNeeded(ConnectorError):
    """This course has no usable Canvas authorization: its staff must authorize (again). The
    registration's connector itself is fine, so the admin's console is not marked."""


class AccessTokens(Protocol):
    """Where the Canvas client gets its bearer token: ``current`` before the first request,
    ``refreshed`` (when ``refreshable``) after Canvas refused the current one."""

    refreshable: bool

    def current(self) -> str:
        """The token to send."""
        ...

    def refreshed(self) -> str:
        """A new token (raises :class:`ConnectorError` when there is none)."""
        ...


@dataclass(frozen=True)
class PendingAuthorization:
    """What a ``state`` stands for: the launch (course and instructor) that started it."""

    context_id: int
    user_id: int
    launch_id: str


def start(context_id: int, user_id: int, launch_id: str) -> str:
    """A single-use ``state`` bound to this launch, kept server-side for 10 minutes."""
    state = secrets.token_urlsafe(32)
    cache.set(f"canvas-oauth:{state}", [context_id, user_id, launch_id], timeout=STATE_TTL)
    return state


def take(state: str) -> PendingAuthorization | None:
    """The launch a ``state`` was made for, once (a replayed or unknown state: None), while
    its instructor is still staff of the course."""
    key = f"canvas-oauth:{state}"
    found = cache.get(key) if state else None
    if not found or not cache.delete(key):
        return None
    pending = PendingAuthorization(int(found[0]), int(found[1]), str(found[2]))
    staff = db.session.scalar(
        select(Membership.is_staff).where(
            Membership.context_id == pending.context_id, Membership.user_id == pending.user_id
        )
    )
    return pending if staff else None


def authorize_url(connector: GradebookConnector, state: str, redirect_uri: str) -> str:
    """Where the instructor's browser goes to authorize Badgebridge in Canvas."""
    params = {
        "client_id": connector.oauth_client_id or "",
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if connector.enforce_scopes:
        params["scope"] = " ".join(SCOPES)
    return f"{connector.base_url}/login/oauth2/auth?{urlencode(params)}"


def _token_request(connector: GradebookConnector, form: dict[str, str]) -> dict[str, Any]:
    """POST the token endpoint with the developer key; the answer's JSON. Raises
    :class:`ConnectorError` with a sentence (``REAUTHORIZE`` for a dead refresh token)."""
    host = urlsplit(connector.base_url).hostname or connector.base_url
    secret = secret_box.decrypt(connector.oauth_secret_encrypted or "").decode()
    body = {"client_id": connector.oauth_client_id or "", "client_secret": secret, **form}
    try:
        response = outbound.session().post(f"{connector.base_url}/login/oauth2/token", data=body)
    except outbound.OutboundRefused as exc:
        raise ConnectorError(
            translatable(
                "Badgebridge may not connect to Canvas: %(exc)s. Check the site URL in the "
                "console.",
                exc=exc,
            )
        ) from exc
    except requests.RequestException as exc:
        raise ConnectorError(
            translatable(
                "Canvas at %(host)s did not answer (%(error)s); Badgebridge tries again later.",
                host=host,
                error=type(exc).__name__,
            ),
            retryable=True,
        ) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code == 200 and isinstance(answer, dict) and answer.get("access_token"):
        return answer
    error = answer.get("error") if isinstance(answer, dict) else None
    log.info("canvas token endpoint at %s refused: %s", host, outbound.describe(response))
    if error == "invalid_client":
        raise ConnectorError(
            translatable(
                "Canvas does not know the connector's developer key (client id or secret "
                "mistyped, or the key is off): check the Canvas API developer key in Canvas "
                "(Admin > Developer Keys, state ON) and its client id and secret in the "
                "Badgebridge console."
            )
        )
    if error in ("invalid_request", "invalid_grant") and form["grant_type"] == "refresh_token":
        raise AuthorizationNeeded(REAUTHORIZE)
    if error in ("invalid_request", "invalid_grant"):
        raise ConnectorError(
            translatable(
                "Canvas refused the authorization (it was used already or took longer than 10 "
                "minutes, or the redirect URI differs from the developer key's): choose "
                "\u201cAuthorize Canvas\u201d again."
            )
        )
    if response.status_code >= 500:
        raise ConnectorError(
            translatable(
                "Canvas at %(host)s failed (%(answer)s); Badgebridge tries again later.",
                host=host,
                answer=outbound.describe(response),
            ),
            retryable=True,
        )
    raise ConnectorError(
        translatable(
            "Canvas at %(host)s answered the token request with %(answer)s; "
            "check the connector's site URL and developer key.",
            host=host,
            answer=outbound.describe(response),
        )
    )


def _store_tokens(auth: CanvasAuthorization, answer: dict[str, Any]) -> None:
    auth.access_token_encrypted = secret_box.encrypt(str(answer["access_token"]).encode())
    lifetime = answer.get("expires_in")
    auth.access_expires_at = (
        utcnow() + timedelta(seconds=float(lifetime))
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
        else None
    )
    if answer.get("refresh_token"):
        auth.refresh_token_encrypted = secret_box.encrypt(str(answer["refresh_token"]).encode())
    auth.problem = None


def complete(
    connector: GradebookConnector, pending: PendingAuthorization, code: str, redirect_uri: str
) -> CanvasAuthorization:
    """Trade the code for tokens and keep them (encrypted) for the course. Commits."""
    answer = _token_request(
        connector,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )
    if not answer.get("refresh_token"):
        raise ConnectorError(
            translatable(
                "Canvas granted no refresh token, so Badgebridge could only read this course "
                "for an hour: the developer key must be a Canvas API key (Admin > Developer "
                "Keys > + Developer Key > API Key)."
            )
        )

    def save() -> CanvasAuthorization:
        auth = db.session.get(CanvasAuthorization, pending.context_id)
        if auth is None:
            auth = CanvasAuthorization(context_id=pending.context_id, refresh_token_encrypted="")
            db.session.add(auth)
        auth.user_id = pending.user_id
        auth.canvas_user_id = str((answer.get("user") or {}).get("id") or "")
        _store_tokens(auth, answer)
        log.info(
            "canvas authorized for context %s by user %s (launch %s)",
            pending.context_id,
            pending.user_id,
            pending.launch_id,
        )
        return auth

    return in_transaction(save)


def oauth_connector(registration_id: int) -> GradebookConnector | None:
    """The registration's Canvas connector when it is on and signs in with OAuth 2."""
    row = db.session.get(GradebookConnector, registration_id)
    if row is None or not row.enabled:
        return None
    if row.kind != ConnectorKind.CANVAS or row.auth != ConnectorAuth.OAUTH:
        return None
    return row


@dataclass(frozen=True)
class CourseStatus:
    """What the staff course page says about Canvas OAuth: whether the course is authorized,
    by whom, and the sentence to act on when Canvas stopped accepting it."""

    authorized: bool
    authorized_by: str
    problem: str | None


def course_status(registration_id: int, context_id: int) -> CourseStatus | None:
    """The course's Canvas authorization for its staff page; None when OAuth is not in use."""
    if oauth_connector(registration_id) is None:
        return None
    auth = authorization_of(context_id)
    if auth is None:
        return CourseStatus(False, "", None)
    who = db.session.get(LtiUser, auth.user_id) if auth.user_id else None
    return CourseStatus(auth.problem is None, who.name if who else "", auth.problem)


def _set_problem(context_id: int, problem: str) -> None:
    auth = authorization_of(context_id)
    if auth is not None:
        auth.problem = problem


def authorization_of(context_id: int) -> CanvasAuthorization | None:
    """The course's Canvas authorization, if an instructor gave one."""
    return db.session.get(CanvasAuthorization, context_id)


class OAuthTokens:
    """The access token of one course's authorization, refreshed when it is about to expire
    or when Canvas refuses it (:meth:`refreshed`). A refresh token Canvas no longer knows is
    written down as the course's ``problem`` (staff read it) and raised as
    :class:`ConnectorError`."""

    refreshable = True

    def __init__(self, connector: GradebookConnector, context_id: int) -> None:
        self.connector = connector
        self.context_id = context_id

    def _auth(self) -> CanvasAuthorization:
        auth = authorization_of(self.context_id)
        if auth is None:
            raise AuthorizationNeeded(
                translatable(
                    "No instructor has authorized Badgebridge to read this course in Canvas "
                    "yet: open Badgebridge from the course as an instructor and choose "
                    "\u201cAuthorize Canvas\u201d on the course page."
                )
            )
        if auth.problem:
            raise AuthorizationNeeded(auth.problem)
        return auth

    def current(self) -> str:
        """A live access token (refreshed first when it expires within a minute)."""
        auth = self._auth()
        expires = auth.access_expires_at
        if not auth.access_token_encrypted or (expires is not None and expires - EARLY <= utcnow()):
            return self.refreshed()
        return secret_box.decrypt(auth.access_token_encrypted).decode()

    def refreshed(self) -> str:
        """A new access token from the refresh token."""
        auth = self._auth()
        refresh = secret_box.decrypt(auth.refresh_token_encrypted).decode()
        try:
            answer = _token_request(
                self.connector, {"grant_type": "refresh_token", "refresh_token": refresh}
            )
        except AuthorizationNeeded as exc:
            problem = stored(exc.args[0])
            in_transaction(lambda: _set_problem(self.context_id, problem))
            raise
        in_transaction(
            lambda: _store_tokens(db.session.get_one(CanvasAuthorization, self.context_id), answer)
        )
        return str(answer["access_token"])


class StaticToken:
    """An admin's API token: nothing to refresh."""

    refreshable = False

    def __init__(self, token: str) -> None:
        self.token = token

    def current(self) -> str:
        """The token."""
        return self.token

    def refreshed(self) -> str:  # pragma: no cover - never called: not refreshable
        """Never: an API token cannot be refreshed."""
        raise ConnectorError("An API token cannot be refreshed.")
