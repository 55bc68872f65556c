"""Appending to the hash chain and checking it.

Each record's ``hash`` is SHA-256 (hex) over the canonical JSON of the object
``{"seq", "created_at", "actor", "action", "subject", "tenant", "data", "prev_hash"}``
(keys sorted, no spaces, UTF-8, ``created_at`` as ISO 8601 UTC with microseconds), and
``prev_hash`` is the previous record's hash (``GENESIS`` for the first). Editing, deleting or
reordering any record therefore changes a hash that a later record, or the chain head, holds.

Appends are serialized through the single-row chain head: the appender's first statement
updates that row, which takes PostgreSQL's row lock (others wait until we commit) and SQLite's
write lock (others wait, or fail and are replayed by ``app.database.retry_on_lock``).
Nobody can read a stale head and fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.audit.models import GENESIS, AuditChainHead, AuditRecord
from app.database import as_utc, insert_rows, table_of, upsert
from app.extensions import db
from app.models.base import utcnow

HEAD_ID = 1


@dataclass(frozen=True)
class Entry:
    """What one record says, before it is placed in the chain."""

    action: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str = ""
    tenant: str = ""


def canonical_json(value: Any) -> str:
    """The one serialization that is hashed: sorted keys, no whitespace, no NaN."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    )


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds (a naive value is taken as UTC)."""
    return as_utc(value).isoformat(timespec="microseconds")


def record_hash(
    *,
    seq: int,
    created_at: datetime,
    actor: str,
    action: str,
    subject: str,
    tenant: str,
    data: Any,
    prev_hash: str,
) -> str:
    """SHA-256 hex of the record's canonical JSON (the algorithm in the module docstring)."""
    document = {
        "seq": seq,
        "created_at": timestamp(created_at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "tenant": tenant,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def append(entries: Sequence[Entry], *, now: datetime | None = None) -> list[str]:
    """Append ``entries`` in the caller's transaction (no commit); returns their hashes.

    The head row is locked by the first UPDATE until the caller commits, so keep the rest
    of the transaction short after calling this.
    """
    if not entries:
        return []
    # The head row is seeded by the migration; recreate it if a wiped database lost it.
    upsert(AuditChainHead, [{"id": HEAD_ID, "seq": 0, "hash": GENESIS}])
    last_seq, prev = db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(seq=AuditChainHead.seq + len(entries))
        .returning(AuditChainHead.seq, AuditChainHead.hash)
        .execution_options(synchronize_session=False)
    ).one()
    seq = last_seq - len(entries)
    created_at = now or utcnow()
    rows: list[dict[str, Any]] = []
    hashes: list[str] = []
    for entry in entries:
        seq += 1
        # Round-trip through the canonical text so what is hashed is exactly what is stored.
        data_json = canonical_json(entry.data or {})
        digest = record_hash(
            seq=seq,
            created_at=created_at,
            actor=entry.actor or "system",
            action=entry.action,
            subject=entry.subject,
            tenant=entry.tenant,
            data=json.loads(data_json),
            prev_hash=prev,
        )
        rows.append(
            {
                "seq": seq,
                "created_at": created_at,
                "actor": entry.actor or "system",
                "action": entry.action,
                "subject": entry.subject,
                "tenant": entry.tenant,
                "data_json": data_json,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        hashes.append(digest)
        prev = digest
    db.session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(hash=prev)
        .execution_options(synchronize_session=False)
    )
    insert_rows(table_of(AuditRecord), rows)
    return hashes


@dataclass(frozen=True)
class Verdict:
    """The result of checking the chain: ``broken`` names the first bad record."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} records"
        where = (
            f"record seq={self.broken_seq} (id={self.broken_id})"
            if self.broken_seq is not None
            else "the chain head"
        )
        return f"audit chain BROKEN at {where}: {self.reason} ({self.checked} records checked)"


def iter_records(batch: int = 1000) -> Iterator[AuditRecord]:
    """Every record in chain order, streamed (``yield_per``) so years of records fit."""
    stmt = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=batch)
    yield from db.session.scalars(stmt)


def verify() -> Verdict:
    """Recompute every hash in order; stop at the first record that does not fit."""
    expected_seq, prev, checked = 1, GENESIS, 0
    for record in iter_records():
        problem = ""
        if record.seq != expected_seq:
            problem = (
                f"expected seq {expected_seq}, found {record.seq} "
                "(a record was deleted or reordered)"
            )
        elif record.prev_hash != prev:
            problem = "prev_hash does not match the previous record's hash"
        else:
            try:
                data = json.loads(record.data_json)
            except ValueError:
                data, problem = None, "data is not valid JSON"
            if (
                not problem
                and record_hash(
                    seq=record.seq,
                    created_at=record.created_at,
                    actor=record.actor,
                    action=record.action,
                    subject=record.subject,
                    tenant=record.tenant,
                    data=data,
                    prev_hash=record.prev_hash,
                )
                != record.hash
            ):
                problem = "hash does not match the record's content (it was edited)"
        if problem:
            return Verdict(False, checked, record.seq, record.id, problem)
        checked += 1
        expected_seq, prev = record.seq + 1, record.hash
    head = db.session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        return Verdict(
            False,
            checked,
            None,
            None,
            f"the head says seq {head_seq} but the last record is "
            f"{expected_seq - 1} (records at the end were deleted or changed)",
        )
    return Verdict(True, checked)


def as_dict(record: AuditRecord) -> dict[str, Any]:
    """A record for export, with its data decoded."""
    return {
        "seq": record.seq,
        "created_at": timestamp(record.created_at),
        "actor": record.actor,
        "action": record.action,
        "subject": record.subject,
        "tenant": record.tenant,
        "data": json.loads(record.data_json),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }
