"""The audit trail: appends chain, verification finds every kind of tampering, CLI, export."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from sqlalchemy import delete, select, update

from app import audit
from app.audit import SYSTEM, Actor
from app.audit.chain import GENESIS, record_hash
from app.audit.models import AuditChainHead, AuditRecord
from app.database import retry_on_lock
from app.extensions import db


def _append(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.record(
            "award.manual",
            f"assertion:a{i}",
            {"score": 81.5 + i, "reasons": ["x"]},
            actor=Actor("lti_user", "teacher"),
            tenant="reg-1",
        )
    db.session.commit()


def test_fresh_database_verifies(app, runner):
    assert audit.verify().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 0 records" in result.output


def test_records_chain_and_hash_is_reproducible(app):
    _append(3)
    records = list(db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    # The documented algorithm, recomputed independently of the module.
    first = records[0]
    assert first.hash == record_hash(
        seq=1,
        created_at=first.created_at,
        actor=first.actor,
        action=first.action,
        subject=first.subject,
        tenant=first.tenant,
        data=json.loads(first.data_json),
        prev_hash=GENESIS,
    )
    head = db.session.get(AuditChainHead, 1)
    assert (head.seq, head.hash) == (3, records[2].hash)
    assert audit.verify().ok


def test_the_application_cannot_update_or_delete_a_record(app):
    _append(1)
    record = db.session.scalar(select(AuditRecord))
    record.actor = "someone else"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditRecord)))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert audit.verify().ok


def _tamper(statement) -> None:
    # Straight SQL, as someone with database access would: the ORM guard is bypassed. The
    # session ends its transaction first and after, so it reads what was written.
    db.session.rollback()
    with db.engine.begin() as conn:
        conn.execute(statement)
    db.session.rollback()


@pytest.mark.parametrize(
    "how",
    [
        "edit_data",
        "edit_actor",
        "edit_time",
        "delete_middle",
        "delete_last",
        "reorder",
        "rehash_one",
    ],
)
def test_tampering_is_detected_and_named(app, runner, how):
    _append(5)
    t = AuditRecord.__table__
    if how == "edit_data":
        _tamper(update(t).where(t.c.seq == 3).values(data_json='{"score":99}'))
        broken = 3
    elif how == "edit_actor":
        _tamper(update(t).where(t.c.seq == 2).values(actor="admin:nobody"))
        broken = 2
    elif how == "edit_time":
        _tamper(update(t).where(t.c.seq == 4).values(created_at=t.c.created_at))
        _tamper(update(t).where(t.c.seq == 4).values(action="award.auto"))
        broken = 4
    elif how == "delete_middle":
        _tamper(delete(t).where(t.c.seq == 3))
        broken = 4
    elif how == "delete_last":
        _tamper(delete(t).where(t.c.seq == 5))
        broken = None
    elif how == "reorder":
        # Swap the positions of records 2 and 3 (through a free value: seq is unique).
        _tamper(update(t).where(t.c.seq == 2).values(seq=-2))
        _tamper(update(t).where(t.c.seq == 3).values(seq=2))
        _tamper(update(t).where(t.c.seq == -2).values(seq=3))
        broken = 2
    else:  # recompute record 3's hash after an edit: record 4's prev_hash gives it away
        row = db.session.execute(select(t).where(t.c.seq == 3)).one()
        forged = record_hash(
            seq=3,
            created_at=row.created_at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            tenant=row.tenant,
            data={"score": 100},
            prev_hash=row.prev_hash,
        )
        _tamper(update(t).where(t.c.seq == 3).values(data_json='{"score":100}', hash=forged))
        broken = 4
    verdict = audit.verify()
    assert not verdict.ok
    assert verdict.broken_seq == broken, verdict
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    expected = f"seq={broken}" if broken else "chain head"
    assert expected in result.output


def test_concurrent_appends_keep_one_chain(app):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        with app.app_context():
            try:
                for i in range(10):
                    retry_on_lock(
                        lambda i=i: (
                            audit.record(
                                "award.auto", f"assertion:t{n}-{i}", {"i": i}, actor=SYSTEM
                            ),
                            db.session.commit(),
                        )
                    )()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    seqs = list(db.session.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
    assert seqs == list(range(1, 61))
    assert audit.verify().ok


def test_export_csv_and_json(app, runner):
    _append(3)
    result = runner.invoke(args=["audit", "export", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["data"] == {"score": 81.5, "reasons": ["x"]}
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    result = runner.invoke(args=["audit", "export", "--format", "csv"])
    parsed = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["hash"] for r in parsed] == [r["hash"] for r in rows]
    assert json.loads(parsed[2]["data"]) == {"score": 83.5, "reasons": ["x"]}
