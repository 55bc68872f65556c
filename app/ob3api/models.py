"""OB 3.0 API rows: the provider's clients, consent requests, codes and tokens; the
consumer's registrations at hosts and pushes in flight.

Secrets the tool hands out (client secrets, codes, tokens) are stored as SHA-256 hashes, so a
copy of the database opens no learner's badges; secrets the tool must present to others (its
client secret at a host, a PKCE verifier) are encrypted with the secret box.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import TimestampMixin, new_public_id, utcnow


class Ob3Client(TimestampMixin, Model):
    """A client application registered through RFC 7591 dynamic client registration."""

    __tablename__ = "ob3_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    client_id_issued_at: Mapped[int] = mapped_column(Integer)
    # The registered metadata as returned to the client (client_name, redirect_uris, scope…).
    client_metadata: Mapped[dict[str, Any]] = mapped_column(JSON)


class ConsentStatus:
    PENDING = "pending"  # the authorization page waits for the learner
    APPROVED = "approved"  # the learner approved it in My badges
    DENIED = "denied"
    USED = "used"  # the code went to the client


class Ob3ConsentRequest(TimestampMixin, Model):
    """An authorization request waiting for its learner, who approves it from My badges by
    entering the ``user_code`` the authorization page shows."""

    __tablename__ = "ob3_consent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("ob3_client.id", ondelete="CASCADE"))
    # SHA-256 of the authorization request's parameters: the page that continues it must
    # carry exactly the parameters the learner approved.
    request_hash: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ConsentStatus.PENDING)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )

    client: Mapped[Ob3Client] = relationship()


class Ob3AuthorizationCode(Model):
    """An authorization code (hashed), bound to its client, redirect URI, PKCE challenge,
    and the learner (user and registration) who approved it."""

    __tablename__ = "ob3_authorization_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    auth_time: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class Ob3Token(Model):
    """An access token and its refresh token (both hashed) for one learner and client."""

    __tablename__ = "ob3_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    issued_at: Mapped[int] = mapped_column(Integer)
    expires_in: Mapped[int] = mapped_column(Integer)
    access_token_revoked_at: Mapped[int | None] = mapped_column(Integer)
    refresh_token_revoked_at: Mapped[int | None] = mapped_column(Integer)


class Ob3Host(TimestampMixin, Model):
    """A host (backpack, wallet service) this tool registered with as an OB 3.0 API client."""

    __tablename__ = "ob3_host"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_url: Mapped[str] = mapped_column(String(1000), unique=True)
    api_base: Mapped[str] = mapped_column(String(1000))  # the discovery's servers[0].url
    authorization_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(300), default="")
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(Text)


class PushStatus:
    STARTED = "started"  # the learner was sent to the host to sign in
    SENT = "sent"
    FAILED = "failed"


class Ob3Push(TimestampMixin, Model):
    """One learner's push of one award to a host; ``state`` is the OAuth ``state``."""

    __tablename__ = "ob3_push"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("ob3_host.id", ondelete="CASCADE"))
    assertion_id: Mapped[int] = mapped_column(ForeignKey("ob_assertion.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    code_verifier_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PushStatus.STARTED)
    error: Mapped[str | None] = mapped_column(Text)

    host: Mapped[Ob3Host] = relationship()
