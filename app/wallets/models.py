"""Wallet offers and the bound copies they deliver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import new_public_id, utcnow


class WalletOffer(Model):
    """One "Add to wallet" offer of one credential: single use, short-lived.

    Its secrets are never stored: the offer key (in the offer and exchange URLs), the
    pre-authorized code derived from it, the optional transaction code and the access token
    are kept as SHA-256 hashes. Either flow (OID4VCI or the VC-API exchange) redeems it.
    """

    __tablename__ = "wallet_offer"
    __table_args__ = (Index("ix_wallet_offer_lti_user_id", "lti_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    # What is offered: a registered kind ("badge") and that kind's id for it.
    kind: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str] = mapped_column(String(200))
    lti_user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The VC-API exchange's challenge: the wallet signs it into its DID Authentication.
    challenge: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class WalletCredential(Model):
    """A bound copy: a new credential of the same award for one holder DID, kept so it can be
    served again; it shares the award's status list entry, so revoking the award revokes it."""

    __tablename__ = "wallet_credential"
    __table_args__ = (Index("ix_wallet_credential_source", "kind", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    # One bound copy per offer (an offer binds one holder), even when two requests race.
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("wallet_offer.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str] = mapped_column(String(200))
    lti_user_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    holder: Mapped[str] = mapped_column(String(400))  # the wallet's DID
    issued_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)  # ldp_vc (Data Integrity)
    credential_jwt: Mapped[str] = mapped_column(Text)  # jwt_vc_json (VC-JWT)
