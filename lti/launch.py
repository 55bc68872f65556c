"""OIDC login and message launch: pylti1p3's Flask adapter with the checks this tool adds.

pylti1p3 does the protocol work (state, nonce, registration, signature, deployment, message
validators). This module adds what it leaves out or leaves open: RS256 only, ``aud``/``azp``
checks, required ``iat``/``exp``, single-use nonces, LTI client-side postMessage storage for
OIDC state when third-party cookies are blocked, and a specific error for each rejection.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import uuid
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import jwt
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pylti1p3.contrib.flask import (
    FlaskCookieService,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.contrib.flask.redirect import FlaskRedirect
from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
from pylti1p3.exception import (
    LtiException,
    LtiInvalidNonceException,
    LtiKeyException,
    OIDCException,
)
from pylti1p3.message_launch import TLaunchData
from pylti1p3.registration import TKeySet
from sqlalchemy import select

from app import registration_cache
from app.extensions import cache, db
from app.models import Registration, RegistrationStatus
from app.registration_cache import RegistrationFacts
from app.secret_box import signing_keys
from app.settings import number
from lti import key_sets
from lti.errors import HINTS, LaunchRejected
from lti.registrations import adopt_deployment, platform_hosts
from lti.storage import (
    SharedCacheDataStorage,
    SingleUseNonceSessionService,
    offers_platform_storage,
)
from lti.tool_conf import DatabaseToolConf

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SUPPORTED_MESSAGES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
# Platforms issue id_tokens for seconds to an hour (Moodle 60 s, Canvas 3600 s).
ID_TOKEN_MAX_LIFETIME = 3600
CLOCK_LEEWAY = 60
STATE_PURPOSE = "oidc-state"  # the derived key that signs OIDC state ids


def _storage_and_session(request: FlaskRequest) -> tuple[SharedCacheDataStorage, Any]:
    storage = SharedCacheDataStorage(cache)
    session_service = SingleUseNonceSessionService(request)
    return storage, session_service


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ToolOIDCLogin(FlaskOIDCLogin):
    """Third-party initiated login; uses the platform's postMessage storage when offered."""

    def __init__(self, request: FlaskRequest, tool_conf: DatabaseToolConf) -> None:
        storage, session_service = _storage_and_session(request)
        super().__init__(
            request,
            tool_conf,
            session_service=session_service,
            cookie_service=FlaskCookieService(request),
            launch_data_storage=storage,
        )

    def get_cookies_allowed_js_check(self) -> str:
        protocol, params = self.get_cookies_allowed_js_check_params()
        texts = {
            "main_text": _(
                "Your browser blocks the cookies this tool needs inside the course page."
            ),
            "click_text": _("Open Badgebridge in a new window"),
            "loading_text": _("Loading…"),
        }
        return render_template(
            "lti/cookies_check.html",
            js_block=CookiesAllowedCheckPage(params, protocol, **texts).get_js_block(),
            **texts,
        )

    def _get_uuid(self) -> str:
        # pylti1p3 names the OIDC state "state-" + this: signed, so that a launch whose state
        # has no entry any more tells a used or expired state from one never issued here.
        return signed_state_id()

    def _prepare_redirect_url(self, launch_url: str) -> str:
        # pylti1p3 makes the state and the nonce here: bind them, so a launch can only use
        # the id_token that answers this very login (not a victim's token with our state).
        url = super()._prepare_redirect_url(launch_url)
        query = parse_qs(urlsplit(url).query)
        self._session_service.bind_state(query["state"][0], query["nonce"][0])
        return url

    def respond(self, launch_url: str) -> Any:
        """Redirect to the platform's authorization endpoint, storing state as we can."""
        try:
            redirect = self.get_redirect_object(launch_url)
        except OIDCException as exc:
            raise _login_error(str(exc), self._request) from exc
        url = redirect.get_redirect_url()
        target = self._request.get_param("lti_storage_target")
        if not target:
            if not self._is_new_window_request():
                # No platform storage: the state cookie must work. Check it in the browser
                # first; where it is blocked, offer to open the tool in a new window.
                return self.get_cookies_allowed_js_check()
            return redirect.do_redirect()
        query = parse_qs(urlsplit(url).query)
        # Also set the state cookie: where cookies do work, the launch can use either.
        html = render_template(
            "lti/storage_login.html",
            auth_url=url,
            target=target,
            platform_origin=_origin(self._registration.get_auth_login_url() or url),
            state=query["state"][0],
            nonce=query["nonce"][0],
        )
        flask_redirect = cast(FlaskRedirect, redirect)  # what FlaskOIDCLogin makes
        return flask_redirect._process_response(current_app.make_response(html))


def _state_mac(body: str, key: bytes) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def signed_state_id() -> str:
    """A fresh random OIDC state id with its MAC (keys derived from SECRET_KEY)."""
    body = str(uuid.uuid4())
    return f"{body}.{_state_mac(body, signing_keys(STATE_PURPOSE)[-1])}"


def issued_here(state: str) -> bool:
    """Whether ``state`` was made by :func:`signed_state_id` (under any current key)."""
    body, _, mac = state.removeprefix("state-").rpartition(".")
    return bool(body) and any(
        hmac.compare_digest(mac, _state_mac(body, key)) for key in signing_keys(STATE_PURPOSE)
    )


def _login_error(detail: str, request: FlaskRequest) -> LaunchRejected:
    if "issuer" in detail or "login hint" in detail:
        return LaunchRejected(
            "login_incomplete",
            _l("The LMS started the login without a required field: %(detail)s.", detail=detail),
            _l("The LMS must send iss and login_hint to the login URL."),
        )
    return registration_error(request.get_param("iss"), request.get_param("client_id"))


def registration_error(iss: str | None, client_id: str | None) -> LaunchRejected:
    """The error for an (issuer, client_id) that may not launch: unknown, pending or disabled."""
    row = (
        db.session.scalars(select(Registration).filter_by(issuer=iss, client_id=client_id)).first()
        if iss and client_id
        else None
    )
    if row is not None and row.status == RegistrationStatus.PENDING:
        return LaunchRejected(
            "registration_pending",
            _l("This LMS registration is waiting for approval by a Badgebridge administrator."),
            _l("Approve it in the admin console."),
            403,
        )
    if row is not None and row.status == RegistrationStatus.DISABLED:
        return LaunchRejected(
            "registration_disabled",
            _l("This LMS registration has been disabled in Badgebridge."),
            _l("Re-enable it in the admin console if that was a mistake."),
            403,
        )
    return LaunchRejected(
        "unknown_registration",
        _l(
            "This tool is not registered for issuer %(issuer)s with client ID %(client_id)s.",
            issuer=iss or "(none)",
            client_id=client_id or "(none)",
        ),
        HINTS["registration"],
        403,
    )


class ToolMessageLaunch(FlaskMessageLaunch):
    """A validated LTI launch, with the tool's additional checks and readable errors."""

    client_state_check: str | None = None

    def __init__(self, request: FlaskRequest, tool_conf: DatabaseToolConf, **kwargs: Any) -> None:
        # pylti1p3's from_cache() passes its own services; ours always replace them.
        for name in ("session_service", "cookie_service", "launch_data_storage"):
            kwargs.pop(name, None)
        storage, session_service = _storage_and_session(request)
        super().__init__(
            request,
            tool_conf,
            session_service=session_service,
            cookie_service=FlaskCookieService(request),
            launch_data_storage=storage,
            **kwargs,
        )
        self.set_public_key_caching(storage, cache_lifetime=300)
        # LTI requires iat and exp; pylti1p3 checks aud through the registration lookup.
        self.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})

    @classmethod
    def restore(
        cls, launch_id: str, request: FlaskRequest, tool_conf: DatabaseToolConf
    ) -> ToolMessageLaunch:
        """Load a launch validated earlier (deep linking response, client-side checks)."""
        try:
            return cast(ToolMessageLaunch, cls.from_cache(launch_id, request, tool_conf))
        except LtiException as exc:
            raise LaunchRejected(
                "launch_expired", _l("This launch is no longer valid."), HINTS["browser"], 401
            ) from exc

    # Each validation step of pylti1p3, wrapped so a failure says exactly what is wrong.
    def validate_state(self) -> ToolMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LaunchRejected(
                "state_missing",
                _l("The launch has no OIDC state parameter."),
                _l("The LMS must echo the state the tool sent at login."),
            )
        if self._cookie_service.get_cookie(state) == state:
            return self
        if self._get_request_param("lti_storage_target"):
            # No cookie (third-party cookies blocked): the browser proves the state from the
            # platform's postMessage storage before the launch page is shown, if the
            # registration's platform offers that storage (checked once the token is verified).
            self.client_state_check = state
            return self
        raise LaunchRejected(
            "state_mismatch",
            _l(
                "The launch's state does not match the login that started it (it may have been "
                "replayed, or the browser blocked the tool's cookie)."
            ),
            HINTS["browser"],
        )

    def validate_jwt_format(self) -> ToolMessageLaunch:
        if not self._get_request_param("id_token"):
            raise LaunchRejected(
                "id_token_missing",
                _l("The launch carries no id_token."),
                _l("The LMS must POST an id_token to the launch URL."),
            )
        try:
            super().validate_jwt_format()
        except LtiException as exc:
            raise LaunchRejected(
                "id_token_malformed", _l("The id_token is not a JWT: %(exc)s", exc=exc)
            ) from exc
        alg = self._jwt.get("header", {}).get("alg")
        if alg != "RS256":
            raise LaunchRejected(
                "unsupported_alg",
                _l(
                    "The id_token is signed with alg %(alg)s; LTI 1.3 requires RS256.",
                    alg=repr(alg),
                ),
                HINTS["keys"],
                401,
            )
        if not isinstance(self._jwt.get("body"), dict):
            raise LaunchRejected(
                "id_token_malformed", _l("The id_token's payload is not an object.")
            )
        return self

    def validate_nonce(self) -> ToolMessageLaunch:
        nonce = self._jwt.get("body", {}).get("nonce")
        if not nonce:
            raise LaunchRejected("nonce_missing", _l("The id_token has no nonce."))
        state = self._get_request_param("state")
        # Taking the state's entry makes the state and its nonce single-use, together.
        bound = self._session_service.take_state(state)
        if bound is None and not issued_here(state):
            raise LaunchRejected(
                "state_unknown",
                _l("The launch's state was not issued by this tool's login, or it has expired."),
                HINTS["browser"],
                401,
            )
        if bound is not None and bound != nonce:
            raise LaunchRejected(
                "state_nonce_mismatch",
                _l(
                    "The id_token does not answer the login that issued this state (its nonce "
                    "belongs to another login): a launch token posted with someone else's state."
                ),
                HINTS["browser"],
                401,
            )
        try:
            super().validate_nonce()
            return self
        except LtiInvalidNonceException as exc:  # the state was ours, but is used or expired
            raise LaunchRejected(
                "nonce_invalid",
                _l(
                    "This launch's nonce was already used or was never issued by the tool "
                    "(a replayed or forged launch)."
                ),
                HINTS["browser"],
                401,
            ) from exc

    def validate_registration(self) -> ToolMessageLaunch:
        body = self.jwt_body
        iss, aud = body.get("iss"), body.get("aud")
        if not iss or not aud:
            raise LaunchRejected("claims_missing", _l("The id_token has no iss or aud claim."))
        audiences = aud if isinstance(aud, list) else [aud]
        if len(audiences) > 1 and body.get("azp") not in audiences:
            raise LaunchRejected(
                "audience_invalid", _l("The id_token names several audiences but no valid azp.")
            )
        client_id = body.get("azp") if len(audiences) > 1 else audiences[0]
        if self._tool_config.registration_row(iss, client_id) is None:
            raise registration_error(iss, client_id)
        # pylti1p3 uses aud[0]; with several audiences azp is the one to use.
        if len(audiences) > 1:
            self._jwt["body"] = cast(TLaunchData, {**body, "aud": client_id})
        try:
            super().validate_registration()
            return self
        except LtiException as exc:
            raise LaunchRejected(
                "unknown_registration", str(exc), HINTS["registration"], 403
            ) from exc

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        try:
            super().validate_jwt_signature()
        except key_sets.KeySetUnavailable as exc:
            raise LaunchRejected(
                "key_set_unavailable",
                _l("The platform's public key set could not be used: %(exc)s.", exc=exc),
                HINTS["keys"],
                502,
            ) from exc
        except LtiKeyException as exc:
            kid = self._jwt.get("header", {}).get("kid")
            raise LaunchRejected(
                "unknown_key",
                _l(
                    "The id_token is signed with a key (kid %(kid)s) the platform does not "
                    "publish: %(exc)s",
                    kid=repr(kid),
                    exc=exc,
                ),
                HINTS["keys"],
                401,
            ) from exc
        except LtiException as exc:
            raise _signature_error(exc) from exc
        self._check_lifetime()
        self._check_platform_storage()
        return self

    def _check_lifetime(self) -> None:
        """An id_token is a one-moment credential: refuse one that claims to live longer than
        ``ID_TOKEN_MAX_LIFETIME_SECONDS`` (a stolen one would be replayable for that long)."""
        body = self._jwt["body"]
        limit = number("ID_TOKEN_MAX_LIFETIME_SECONDS", ID_TOKEN_MAX_LIFETIME)
        exp, iat = body.get("exp"), body.get("iat")
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise LaunchRejected(
                "claims_missing", _l("The id_token's exp and iat must be numbers.")
            )
        if exp - iat > limit or exp - time.time() > limit + CLOCK_LEEWAY:
            raise LaunchRejected(
                "token_lifetime_too_long",
                _l(
                    "The id_token is valid for %(seconds)s seconds from its issue; Badgebridge "
                    "accepts at most %(limit)s.",
                    seconds=int(exp - iat),
                    limit=int(limit),
                ),
                _l(
                    "Configure the LMS to issue short-lived id_tokens (minutes), and check the "
                    "clocks of the LMS server and of the tool (NTP)."
                ),
                401,
            )

    def _check_platform_storage(self) -> None:
        """A launch that proves its state through platform storage (no cookie) is accepted
        only from a platform that offers that storage: the registration's product family,
        or the verified id_token's own ``tool_platform`` claim when the registration has none.
        """
        if not self.client_state_check:
            return
        row = self._tool_config.registration_row(self._jwt["body"]["iss"], self.get_client_id())
        family = row.product_family if row is not None else ""
        if not family:
            family = (self.jwt_body.get(CLAIM + "tool_platform") or {}).get(
                "product_family_code"
            ) or ""
        if not offers_platform_storage(family):
            raise LaunchRejected(
                "state_mismatch",
                _l(
                    "The launch's state does not match the login that started it: the browser "
                    "sent no state cookie, and this LMS offers no platform storage to prove it."
                ),
                HINTS["browser"],
            )

    def save_launch_data(self) -> ToolMessageLaunch:
        # Only a deep linking launch is restored later (to answer the platform); any other
        # lives on in its launch token, so nothing is written for it.
        if self.is_deep_link_launch():
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self

    def fetch_public_key(self, key_set_url: str) -> TKeySet:
        # Held by this process beside the registrations it belongs to (until they change or
        # for registration_cache.MAX_AGE at most), so a launch reads no shared cache for it;
        # an unknown kid drops it (get_public_key). Otherwise through the shared cache and
        # the guarded client, never pylti1p3's unbounded fetch (see lti.key_sets).
        held = _held_key_sets()
        key_set = held.get(key_set_url)
        if key_set is None:
            key_set = held[key_set_url] = key_sets.cached_fetch(
                key_set_url, self._public_key_cache_data_storage, self._public_key_cache_lifetime
            )
        return cast(TKeySet, key_set)

    def get_public_key(self) -> tuple[Any, str]:
        try:
            return self._matching_key()
        except LtiKeyException:
            # Platforms rotate their keys (Canvas monthly): a kid missing from the cached key
            # set means fetching the set again, once, before refusing the launch.
            registration = self._registration
            if (
                registration is None
                or not registration.get_key_set_url()
                or not (self._forget_cached_key_set(registration.get_key_set_url() or ""))
            ):
                raise
            registration.set_key_set(None)
            return self._matching_key()

    def _matching_key(self) -> tuple[Any, str]:
        """The platform's key that signed the id_token (kid and alg of its header), as a key
        object. pylti1p3 converts the JWK to PEM on every launch, which PyJWT then parses
        again; a platform's keys change monthly at most, so each is parsed once."""
        registration = self._registration
        assert registration is not None, "the registration is validated first"
        key_set = registration.get_key_set()
        if not key_set:
            url = registration.get_key_set_url() or ""
            if not url.startswith(("http://", "https://")):
                raise LtiKeyException("The public key set URL is invalid: " + url)
            key_set = self.fetch_public_key(url)
            registration.set_key_set(key_set)
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not kid:
            raise LtiKeyException("JWT KID not found")
        if not alg:
            raise LtiKeyException("JWT ALG not found")
        for key in key_set.get("keys") or []:
            if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == alg:
                try:
                    return _public_key(json.dumps(key, sort_keys=True)), alg
                except (jwt.PyJWKError, ValueError, TypeError) as exc:
                    raise LtiKeyException("Can't convert JWT key to PEM format") from exc
        raise LtiKeyException("Unable to find public key")

    def _forget_cached_key_set(self, key_set_url: str) -> bool:
        held = _held_key_sets().pop(key_set_url, None) is not None
        storage = cast(SharedCacheDataStorage | None, self._public_key_cache_data_storage)
        if storage is None:
            return held
        return bool(storage.consume(key_sets.cache_key(key_set_url))) or held

    def validate_deployment(self) -> ToolMessageLaunch:
        body = self.jwt_body
        deployment_id = body.get(CLAIM + "deployment_id")
        if not deployment_id:
            raise LaunchRejected("claims_missing", _l("The id_token has no deployment_id claim."))
        try:
            super().validate_deployment()
            return self
        except LtiException as exc:
            # Canvas names a deployment only at its first launch: a registration flagged to
            # accept new deployments adopts it; every other unknown deployment is refused.
            if adopt_deployment(body["iss"], self.get_client_id(), deployment_id):
                super().validate_deployment()
                return self
            raise LaunchRejected(
                "unknown_deployment",
                _l(
                    "Deployment %(deployment_id)s is not registered (or is disabled) for this "
                    "platform.",
                    deployment_id=repr(deployment_id),
                ),
                _l("Add the deployment ID in the admin console, or approve it there."),
                403,
            ) from exc

    def validate_message(self) -> ToolMessageLaunch:
        body = self.jwt_body
        version = body.get(CLAIM + "version")
        if version != "1.3.0":
            raise LaunchRejected(
                "wrong_version",
                _l(
                    "LTI version %(version)s is not supported; expected 1.3.0.",
                    version=repr(version),
                ),
            )
        message_type = body.get(CLAIM + "message_type")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRejected(
                "wrong_message_type",
                _l(
                    "Message type %(message_type)s is not supported; Badgebridge accepts "
                    "%(supported)s.",
                    message_type=repr(message_type),
                    supported=", ".join(sorted(SUPPORTED_MESSAGES)),
                ),
            )
        missing = [
            name
            for name, ok in (
                ("sub", body.get("sub")),
                ("roles", isinstance(body.get(CLAIM + "roles"), list)),
                ("context", (body.get(CLAIM + "context") or {}).get("id")),
            )
            if not ok
        ]
        if message_type == "LtiResourceLinkRequest" and not (
            body.get(CLAIM + "resource_link") or {}
        ).get("id"):
            missing.append("resource_link.id")
        if missing:
            raise LaunchRejected(
                "claims_missing",
                _l(
                    "The launch lacks required LTI claims: %(missing)s.", missing=", ".join(missing)
                ),
            )
        if message_type == "LtiDeepLinkingRequest":
            self._check_deep_link_return_url(body)
        try:
            super().validate_message()
            return self
        except LtiException as exc:
            raise LaunchRejected(
                "invalid_message", _l("The LTI message is invalid: %(exc)s", exc=exc)
            ) from exc

    def _check_deep_link_return_url(self, body: dict[str, Any]) -> None:
        """The tool later posts its answer to ``deep_link_return_url``: it must be an http(s)
        URL on a host this registration knows (its endpoints' or its issuer's), never a
        ``javascript:`` URL or a third party."""
        url = (body.get(DL_SETTINGS) or {}).get("deep_link_return_url")
        row = self._tool_config.registration_row(body["iss"], self.get_client_id())
        if not isinstance(url, str) or row is None or not return_url_allowed(url, row):
            shown = url[:200] if isinstance(url, str) else repr(url)
            raise LaunchRejected(
                "deep_link_return_url_invalid",
                _l(
                    "The deep linking request's return URL %(shown)s is not an http(s) address on "
                    "a host of this LMS.",
                    shown=repr(shown),
                ),
                _l(
                    "The LMS's deep_link_return_url must be on the host of its issuer, of the "
                    "login, token or key set URL registered with Badgebridge, or of the URL its "
                    "dynamic registration started from."
                ),
            )

    @property
    def jwt_body(self) -> dict[str, Any]:
        """The id_token's claims: the platform's JSON, which may lack what pylti1p3's type says."""
        return cast(dict[str, Any], self.get_launch_data())


def _held_key_sets() -> dict[str, Any]:
    """Platform key sets by URL, held with this process's snapshot of the registrations."""
    return registration_cache.snapshot().derive("key_sets", lambda _snapshot: {})


@functools.lru_cache(maxsize=256)
def _public_key(key_json: str) -> Any:
    """A platform's public JWK (as canonical JSON) as a key object PyJWT verifies with."""
    return jwt.PyJWK.from_json(key_json).key


def return_url_allowed(url: str, registration: Registration | RegistrationFacts) -> bool:
    """Whether ``url`` is http(s) on a host the registration knows its platform by."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return parts.hostname in platform_hosts(registration)


def _signature_error(exc: LtiException) -> LaunchRejected:
    cause = exc.__cause__
    if isinstance(cause, jwt.ExpiredSignatureError):
        return LaunchRejected("token_expired", _l("The id_token has expired."), HINTS["clock"], 401)
    if isinstance(cause, jwt.ImmatureSignatureError):
        return LaunchRejected(
            "token_not_yet_valid",
            _l("The id_token is dated in the future (iat/nbf)."),
            HINTS["clock"],
            401,
        )
    if isinstance(cause, jwt.MissingRequiredClaimError):
        return LaunchRejected(
            "claims_missing", _l("The id_token lacks a required claim: %(cause)s.", cause=cause)
        )
    if isinstance(cause, jwt.InvalidSignatureError):
        return LaunchRejected(
            "bad_signature",
            _l("The id_token's signature does not verify with the platform's key."),
            HINTS["keys"],
            401,
        )
    return LaunchRejected(
        "bad_token",
        _l("The id_token could not be verified: %(exc)s.", exc=cause or exc),
        HINTS["keys"],
        401,
    )
