"""The authorization server and resource protection, on Authlib.

Authlib runs the protocol: RFC 7591 registration, the authorization code grant with PKCE
(S256 only, required), refresh tokens, RFC 7009 revocation and bearer-token checks. This
module only tells it where things are stored. Client secrets, codes and tokens are stored as
SHA-256 hashes; the spec's ``client_secret_basic`` is the one client authentication method.

A grant belongs to one learner *as their LMS knows them*: an ``LtiUser`` (platform issuer and
``sub``) within one registration (the tenant). Every token carries both, and the resource
views only ever read that learner's awards in that registration's courses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    TokenMixin,
    grants,
    list_to_scope,
    scope_to_list,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app
from joserfc.errors import InvalidClaimError, MissingClaimError
from sqlalchemy import or_, select

from app.extensions import db
from app.ob3api import spec
from app.ob3api.models import Ob3AuthorizationCode, Ob3Client, Ob3Token

ACCESS_TOKEN_SECONDS = 3600  # the spec's recommended lifetime
REFRESH_TOKEN_SECONDS = 90 * 24 * 3600
CODE_SECONDS = 600  # the spec's recommended lifetime of an authorization code
AUTH_METHOD = "client_secret_basic"


def digest(secret: str) -> str:
    """The stored form of a secret the tool hands out."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Grantee:
    """Who approved a grant: a learner (``LtiUser``) within one registration."""

    user_id: int
    registration_id: int

    def get_user_id(self) -> int:
        return self.user_id


class Client(ClientMixin):
    """Authlib's view of a registered client."""

    def __init__(self, row: Ob3Client) -> None:
        self.row = row
        self.metadata = row.client_metadata

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.metadata.get("redirect_uris") or []
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(scope_to_list(self.metadata.get("scope", "")))
        return list_to_scope([s for s in scope_to_list(scope or "") if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.metadata.get("redirect_uris") or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.row.client_secret_hash, digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", ["authorization_code"])


class Token(TokenMixin):
    """Authlib's view of a stored token."""

    def __init__(self, row: Ob3Token) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return self.row.expires_in

    def is_expired(self) -> bool:
        return self.row.issued_at + self.row.expires_in < time.time()

    def is_revoked(self) -> bool:
        return self.row.access_token_revoked_at is not None

    def is_refresh_usable(self) -> bool:
        return (
            self.row.refresh_token_revoked_at is None
            and self.row.issued_at + REFRESH_TOKEN_SECONDS > time.time()
        )

    @property
    def grantee(self) -> Grantee:
        return Grantee(self.row.user_id, self.row.registration_id)


def query_client(client_id: str) -> Client | None:
    row = db.session.scalar(select(Ob3Client).where(Ob3Client.client_id == client_id))
    return Client(row) if row else None


def save_token(token: dict[str, Any], request: Any) -> None:
    grantee: Grantee = request.user
    db.session.add(
        Ob3Token(
            client_id=request.client.get_client_id(),
            access_token_hash=digest(token["access_token"]),
            refresh_token_hash=digest(token["refresh_token"])
            if token.get("refresh_token")
            else None,
            scope=token.get("scope", ""),
            user_id=grantee.user_id,
            registration_id=grantee.registration_id,
            issued_at=int(time.time()),
            expires_in=int(token.get("expires_in") or ACCESS_TOKEN_SECONDS),
        )
    )
    db.session.commit()


class S256Only(CodeChallenge):
    """PKCE required, and only with S256 (the spec's one method)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if grant.request.payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "'code_challenge_method' must be S256", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def validate_authorization_request(self) -> str:
        """RFC 6749's checks, plus the OB 3.0 API's: ``state`` and a granted ``scope`` are
        required (the spec makes both Required; ``state`` guards the client against CSRF)."""
        redirect_uri = super().validate_authorization_request()
        payload = self.request.payload
        if not payload.state:
            raise InvalidRequestError("'state' is required", redirect_uri=redirect_uri)
        if not self.request.scope:
            raise InvalidScopeError(redirect_uri=redirect_uri, state=payload.state)
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        grantee: Grantee = request.user
        payload = request.payload.data
        db.session.add(
            Ob3AuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope or "",
                code_challenge=payload["code_challenge"],
                code_challenge_method=payload["code_challenge_method"],
                user_id=grantee.user_id,
                registration_id=grantee.registration_id,
                auth_time=int(time.time()),
            )
        )
        db.session.commit()

    def query_authorization_code(self, code: str, client: Client) -> Any:
        row = db.session.scalar(
            select(Ob3AuthorizationCode).where(
                Ob3AuthorizationCode.code_hash == digest(code),
                Ob3AuthorizationCode.client_id == client.get_client_id(),
            )
        )
        if row is None or row.auth_time + CODE_SECONDS < time.time():
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        # Used once: deleted before the token is made, so a replay finds nothing.
        db.session.delete(authorization_code.row)
        db.session.commit()

    def authenticate_user(self, authorization_code: _Code) -> Grantee:
        return Grantee(authorization_code.row.user_id, authorization_code.row.registration_id)


class _Code:
    """Authlib's view of a stored authorization code."""

    def __init__(self, row: Ob3AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


def _token_by(column: Any, secret: str) -> Token | None:
    row = db.session.scalar(select(Ob3Token).where(column == digest(secret)))
    return Token(row) if row else None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotated on every use

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = _token_by(Ob3Token.refresh_token_hash, refresh_token)
        return token if token and token.is_refresh_usable() else None

    def authenticate_user(self, refresh_token: Token) -> Grantee:
        return refresh_token.grantee

    def revoke_old_credential(self, refresh_token: Token) -> None:
        now = int(time.time())
        refresh_token.row.refresh_token_revoked_at = now
        refresh_token.row.access_token_revoked_at = now
        db.session.commit()


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [AUTH_METHOD]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = db.session.scalar(
            select(Ob3Token).where(
                or_(
                    Ob3Token.access_token_hash == digest(token_string),
                    Ob3Token.refresh_token_hash == digest(token_string),
                )
            )
        )
        return Token(row) if row else None

    def revoke_token(self, token: Token, request: Any) -> None:
        # Revoking either ends the grant: the access token and its refresh token.
        now = int(time.time())
        token.row.access_token_revoked_at = now
        token.row.refresh_token_revoked_at = now
        db.session.commit()


# The registration request's properties the spec marks Required.
REQUIRED_METADATA = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
_URL_METADATA = ("client_uri", "logo_uri", "tos_uri", "policy_uri")


class ObClientMetadata(ClientMetadataClaims):
    """RFC 7591 metadata with the OB 3.0 API's rules: every Required property present, URLs
    https (http only on a loopback host, RFC 8252's native-app allowance) and all on one
    host, ``client_secret_basic``, the code response type and the two grant types only."""

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        for name in REQUIRED_METADATA:
            if not self.get(name):
                raise MissingClaimError(name)
        uris = self.get("redirect_uris")
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
            raise InvalidClaimError("redirect_uris")
        hosts = set()
        for name in (*_URL_METADATA, "redirect_uris"):
            for url in uris if name == "redirect_uris" else [self[name]]:
                parts = urlsplit(url) if isinstance(url, str) else None
                if parts is None or parts.fragment or not spec.https_or_loopback(url):
                    raise InvalidClaimError(name)
                hosts.add(parts.hostname)
        if len(hosts) > 1:
            raise InvalidClaimError("redirect_uris")  # all URLs must share one host name
        if self.get("token_endpoint_auth_method", AUTH_METHOD) != AUTH_METHOD:
            raise InvalidClaimError("token_endpoint_auth_method")
        super().validate(now, leeway)


def server_metadata() -> dict[str, Any]:
    """What the authorization server supports (RFC 8414 names), for registration checks."""
    return {
        "scopes_supported": spec.SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [AUTH_METHOD],
    }


class Registration(ClientRegistrationEndpoint):
    """RFC 7591 registration, open (the spec forbids requiring an initial access token)."""

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return server_metadata()

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        metadata = dict(client_metadata)
        metadata.setdefault("token_endpoint_auth_method", AUTH_METHOD)
        metadata.setdefault("grant_types", ["authorization_code"])
        metadata.setdefault("response_types", ["code"])
        row = Ob3Client(
            client_id=client_info["client_id"],
            client_secret_hash=digest(client_info["client_secret"]),
            client_id_issued_at=client_info["client_id_issued_at"],
            client_metadata=metadata,
        )
        db.session.add(row)
        db.session.commit()
        # The response repeats everything the client sent, with what the server set.
        client_metadata.update(metadata)
        return Client(row)


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> Token | None:
        return _token_by(Ob3Token.access_token_hash, token_string)


def authorization_server() -> AuthorizationServer:
    """The running application's authorization server."""
    return current_app.extensions["ob3_authorization"]


def resource_protector() -> ResourceProtector:
    """The running application's bearer-token check."""
    return current_app.extensions["ob3_resource"]


def _random_token(*_: Any, **__: Any) -> str:
    return secrets.token_urlsafe(32)


def init_app(app: Flask) -> None:
    """Build this application's authorization server: storage, grants, endpoints, lifetimes."""
    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = spec.SUPPORTED_SCOPES
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=_random_token,
            refresh_token_generator=_random_token,
            expires_generator=lambda *_, **__: ACCESS_TOKEN_SECONDS,
        ),
    )
    server.register_grant(AuthorizationCodeGrant, [S256Only(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Registration(claims_classes=[ObClientMetadata]))
    protector = ResourceProtector()
    protector.register_token_validator(Validator())
    app.extensions["ob3_authorization"] = server
    app.extensions["ob3_resource"] = protector
