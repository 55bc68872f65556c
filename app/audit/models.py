"""The audit trail's tables: the append-only records and the single-row head of their chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.database import AwareDateTime
from app.extensions import Model
from app.models.base import utcnow

# The hash every chain starts from: 64 zeros, so the first record is checked like the rest.
GENESIS = "0" * 64


class AuditRecord(Model):
    """One decision or change, chained to the previous record by ``prev_hash``.

    No foreign keys on purpose: a record outlives the rows it speaks of (a deleted badge, a
    removed registration), and a cascading ``SET NULL`` would itself break the chain. The
    evaluated data is stored as the canonical JSON text that was hashed, so no database's JSON
    normalisation can change what verification recomputes.
    """

    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_tenant_seq", "tenant", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain (1, 2, 3 …); unique, so a gap or a duplicate shows at once.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    # The registration's public id ("" for tool-wide records): what an admin may filter by.
    tenant: Mapped[str] = mapped_column(String(36), default="")
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Model):
    """The chain's last position and hash in one row: appenders lock it, so they queue up
    instead of forking the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


@event.listens_for(AuditRecord, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    # Append-only for the application: no ORM path may rewrite history.
    raise PermissionError("audit records are append-only")


@event.listens_for(AuditRecord, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise PermissionError("audit records are append-only")
