"""The OB 3.0 API as Service Consumer: a learner sends one of their badges to a host they name
(a backpack or wallet service) with ``upsertCredential``.

1. Discovery: the host's Service Description Document at ``{host}/ims/ob/v3p0/discovery``.
2. Registration: once per host, RFC 7591 with the metadata the spec requires; the client
   secret is kept encrypted.
3. Authorization code with PKCE (S256) in the learner's own browser: the host signs them in
   and asks their consent, then sends the browser back to this tool's callback.
4. The code (and PKCE verifier) for an access token, then ``POST {api}/credentials`` with the
   signed credential.

Every request goes through the guarded outbound client. A failure becomes a :class:`PushError`
whose message says which step failed and how the host answered (status and content type),
never what the host's body said.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import outbound, secret_box
from app.extensions import db
from app.models.base import utcnow
from app.ob3api import spec
from app.ob3api.models import Ob3Host, Ob3Push, PushStatus
from app.openbadges.models import Assertion, Badge

log = logging.getLogger(__name__)

CALLBACK_PATH = "/ob3/consumer/callback"
# Identifies Badgebridge as client software at every host (RFC 7591 software_id).
SOFTWARE_ID = "7d1f7f4e-3c55-4b59-9a0e-7c2b3e1f0b6a"
SOFTWARE_VERSION = "1"
PUSH_MINUTES = 15  # how long a learner has to sign in at the host
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


class PushError(Exception):
    """A push failed; the message is for the learner (it never quotes the host)."""


def _session() -> outbound.OutboundSession:
    return outbound.session(total_timeout=20, max_bytes=1024 * 1024)


def _host_name(url: str) -> str:
    return urlsplit(url).hostname or url


def normalize_base_url(text: str) -> str:
    """The host's base URL as the learner typed it: https, no query, no trailing slash."""
    url = (text or "").strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if not parts.hostname or parts.query or not spec.https_or_loopback(url):
        raise PushError(
            _("Enter the host's https address, for example https://backpack.example.org.")
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _json(response: requests.Response, what: str, host: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PushError(
            _(
                "%(host)s did not answer with %(what)s (%(answer)s).",
                host=host,
                what=what,
                answer=outbound.describe(response),
            )
        )
    return body


def _url(value: Any, what: str, host: str) -> str:
    try:
        url = outbound.check_url(value if isinstance(value, str) else "")
    except outbound.OutboundRefused as exc:
        raise PushError(
            _("%(host)s's discovery document has no usable %(what)s.", host=host, what=what)
        ) from exc
    if not spec.https_or_loopback(url):
        raise PushError(
            _(
                "%(host)s's discovery document gives an %(what)s without https.",
                host=host,
                what=what,
            )
        )
    return url


def discover(base_url: str) -> dict[str, str]:
    """The host's API base, authorization, token and registration URLs from its SDD."""
    host = _host_name(base_url)
    try:
        with _session() as session:
            response = session.get(
                base_url + spec.DISCOVERY_PATH, headers={"Accept": "application/json"}
            )
    except requests.RequestException as exc:
        raise PushError(_("%(host)s could not be reached: %(exc)s.", host=host, exc=exc)) from exc
    if response.status_code != 200:
        raise PushError(
            _(
                "%(host)s offers no Open Badges 3.0 API at this address "
                "(%(answer)s for its discovery document).",
                host=host,
                answer=outbound.describe(response),
            )
        )
    document = _json(response, _("an Open Badges 3.0 discovery document"), host)
    try:
        servers = document["servers"]
        schemes = document["components"]["securitySchemes"]
        scheme = next(
            s
            for s in schemes.values()
            if isinstance(s, dict) and "authorizationCode" in (s.get("flows") or {})
        )
        flow = scheme["flows"]["authorizationCode"]
    except (KeyError, TypeError, StopIteration) as exc:
        raise PushError(
            _("%(host)s's discovery document does not describe its sign-in.", host=host)
        ) from exc
    if spec.CREDENTIAL_UPSERT not in (flow.get("scopes") or {}):
        raise PushError(
            _("%(host)s does not accept badges sent to it (no credential.upsert).", host=host)
        )
    return {
        "api_base": _url(servers[0].get("url") if servers else None, _("API address"), host),
        "authorization_url": _url(flow.get("authorizationUrl"), _("authorization URL"), host),
        "token_url": _url(flow.get("tokenUrl"), _("token URL"), host),
        "registration_url": _url(scheme.get("x-imssf-registrationUrl"), "registration URL", host),
        "name": str((document.get("info") or {}).get("title") or host)[:300],
    }


def redirect_uri() -> str:
    """Where hosts send the learner's browser back (registered with every host)."""
    return current_app.config["PUBLIC_BASE_URL"] + CALLBACK_PATH


def client_metadata() -> dict[str, Any]:
    """This tool's RFC 7591 registration request, with the OB 3.0 API's required metadata."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "client_name": "Badgebridge",
        "client_uri": base + "/",
        "logo_uri": base + url_for("lti_registration.static", filename="badgebridge-logo.svg"),
        "tos_uri": base + spec.TERMS_PATH,
        "policy_uri": base + spec.PRIVACY_PATH,
        "software_id": SOFTWARE_ID,
        "software_version": SOFTWARE_VERSION,
        "redirect_uris": [redirect_uri()],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": spec.CREDENTIAL_UPSERT,
    }


def _register(base_url: str, found: dict[str, str]) -> Ob3Host:
    host = _host_name(base_url)
    try:
        with _session() as session:
            response = session.post(found["registration_url"], json=client_metadata())
    except requests.RequestException as exc:
        raise PushError(
            _("%(host)s could not be reached to register Badgebridge: %(exc)s.", host=host, exc=exc)
        ) from exc
    if response.status_code not in (200, 201):
        raise PushError(
            _(
                "%(host)s refused to register Badgebridge (%(answer)s).",
                host=host,
                answer=outbound.describe(response),
            )
        )
    body = _json(response, _("a client registration"), host)
    if not isinstance(body.get("client_id"), str) or not isinstance(body.get("client_secret"), str):
        raise PushError(_("%(host)s's registration answer has no client credentials.", host=host))
    row = Ob3Host(
        base_url=base_url,
        api_base=found["api_base"].rstrip("/"),
        authorization_url=found["authorization_url"],
        token_url=found["token_url"],
        name=found["name"],
        client_id=body["client_id"],
        client_secret_encrypted=secret_box.encrypt(body["client_secret"].encode()),
    )
    db.session.add(row)
    db.session.commit()
    return row


def host_for(base_url: str) -> Ob3Host:
    """The host's registration, made on first use (discovery, then RFC 7591)."""
    row = db.session.scalar(select(Ob3Host).where(Ob3Host.base_url == base_url))
    return row or _register(base_url, discover(base_url))


def start_push(public_id: str, user_id: int, context_id: int, host_text: str) -> str:
    """Begin sending the learner's award to a host; the URL to open in their browser."""
    assertion = db.session.scalar(
        select(Assertion)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(
            Assertion.public_id == public_id,
            Assertion.lti_user_id == user_id,
            Badge.context_id == context_id,
            Assertion.revoked_at.is_(None),
        )
    )
    if assertion is None:
        raise LookupError(public_id)
    host = host_for(normalize_base_url(host_text))
    verifier = secrets.token_urlsafe(48)
    push = Ob3Push(
        state=secrets.token_urlsafe(32),
        host_id=host.id,
        assertion_id=assertion.id,
        user_id=user_id,
        code_verifier_encrypted=secret_box.encrypt(verifier.encode()),
    )
    db.session.add(push)
    db.session.commit()
    query = {
        "response_type": "code",
        "client_id": host.client_id,
        "redirect_uri": redirect_uri(),
        "scope": spec.CREDENTIAL_UPSERT,
        "state": push.state,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if urlsplit(host.authorization_url).query else "?"
    return f"{host.authorization_url}{separator}{urlencode(query)}"


def _fail(push: Ob3Push, message: str) -> PushError:
    push.status = PushStatus.FAILED
    push.error = message
    db.session.commit()
    log.info("OB 3.0 push %s to %s failed: %s", push.id, push.host.base_url, message)
    return PushError(message)


def _access_token(push: Ob3Push, code: str) -> str:
    host = push.host
    name = _host_name(host.base_url)
    secret = secret_box.decrypt(host.client_secret_encrypted).decode()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "scope": spec.CREDENTIAL_UPSERT,
        "code_verifier": secret_box.decrypt(push.code_verifier_encrypted).decode(),
    }
    try:
        with _session() as session:
            response = session.post(host.token_url, data=form, auth=(host.client_id, secret))
    except requests.RequestException as exc:
        raise _fail(
            push,
            _("%(host)s could not be reached for the access token: %(exc)s.", host=name, exc=exc),
        ) from exc
    if response.status_code != 200:
        raise _fail(
            push,
            _(
                "%(host)s refused the access token (%(answer)s).",
                host=name,
                answer=outbound.describe(response),
            ),
        )
    try:
        token = _json(response, _("an access token"), name).get("access_token")
    except PushError as exc:
        raise _fail(push, str(exc)) from exc
    if not isinstance(token, str) or not token:
        raise _fail(push, _("%(host)s's token answer has no access token.", host=name))
    return token


def finish_push(state: str, code: str | None, error: str | None) -> Ob3Push:
    """The learner's browser is back from the host: exchange the code, send the credential."""
    push = db.session.scalar(
        select(Ob3Push).where(Ob3Push.state == state, Ob3Push.status == PushStatus.STARTED)
    )
    if push is None or push.created_at + timedelta(minutes=PUSH_MINUTES) < utcnow():
        raise PushError(
            _("This sending has expired or is already done. Start again from My badges.")
        )
    name = _host_name(push.host.base_url)
    if error or not code:
        reason = error if error and _ERROR_CODE.match(error) else _("no authorization")
        raise _fail(push, _("%(host)s did not give access (%(reason)s).", host=name, reason=reason))
    token = _access_token(push, code)
    assertion = db.session.get(Assertion, push.assertion_id)
    if assertion is None or assertion.revoked:
        raise _fail(push, _("This badge was revoked in the meantime; it was not sent."))
    try:
        with _session() as session:
            response = session.post(
                push.host.api_base + "/credentials",
                data=json.dumps(assertion.credential, ensure_ascii=False).encode(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
    except requests.RequestException as exc:
        raise _fail(
            push,
            _(
                "%(host)s could not be reached to receive the badge: %(exc)s.",
                host=name,
                exc=exc,
            ),
        ) from exc
    if response.status_code not in (200, 201, 304):
        raise _fail(
            push,
            _(
                "%(host)s did not accept the badge (%(answer)s).",
                host=name,
                answer=outbound.describe(response),
            ),
        )
    push.status = PushStatus.SENT
    db.session.commit()
    return push
