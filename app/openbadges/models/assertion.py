"""Assertions: one award of a badge to a learner, with its signed OB 3.0 credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import new_public_id, utcnow
from app.openbadges.models.badge import Badge
from app.openbadges.models.status_list import StatusList

# Live: neither revoked nor replaced by a newer award (an expired award is replaced when the
# badge is awarded again; it stays as it was, expired, and keeps verifying as such).
_LIVE = text("revoked_at IS NULL AND replaced_at IS NULL")


class Assertion(Model):
    """An award. ``recipient_key`` names the learner for the one-live-award rule."""

    __tablename__ = "ob_assertion"
    __table_args__ = (
        # At most one live assertion per badge and learner, enforced by the
        # database so concurrent issuers cannot both insert (a partial unique index).
        Index(
            "uq_ob_assertion_live",
            "badge_id",
            "recipient_key",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        UniqueConstraint("status_list_id", "status_index"),
        Index("ix_ob_assertion_lti_user_id", "lti_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    badge_id: Mapped[int] = mapped_column(ForeignKey("ob_badge.id", ondelete="CASCADE"))
    lti_user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    # "user:<lti_user.id>" or "email:<address>": who the award is for, in one column.
    recipient_key: Mapped[str] = mapped_column(String(400))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    recipient_name: Mapped[str] = mapped_column(String(300), default="")
    salt: Mapped[str] = mapped_column(String(64))
    identity_hash: Mapped[str | None] = mapped_column(String(80))  # sha256$<hex>
    subject_id: Mapped[str] = mapped_column(String(100))  # credentialSubject.id (urn:uuid:…)
    issued_on: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # [{"url", "narrative", "name"}]: links, text, the score that met the criteria.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    replaced_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    status_list_id: Mapped[int] = mapped_column(ForeignKey("ob_status_list.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    image_version: Mapped[int] = mapped_column(Integer, default=0)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # show the name publicly
    accepted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The signed documents, immutable once issued (revocation lives in the status list).
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)
    credential_jwt: Mapped[str] = mapped_column(Text)

    badge: Mapped[Badge] = relationship()
    status_list: Mapped[StatusList] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        """True once ``expires_at`` has passed."""
        if self.expires_at is None:
            return False
        return self.expires_at <= (now or utcnow())


@dataclass(frozen=True)
class StoredAssertion:
    """A just-issued assertion as stored, without loading it back: what follows its award in
    the same transaction reads only these (its decision, audit record, email and webhook
    rows). Loading a cohort's new assertions back as ORM objects cost the issuing process
    about a third of its time."""

    id: int
    public_id: str
    badge_id: int
    lti_user_id: int | None
    recipient_key: str
    issued_on: datetime
    expires_at: datetime | None
