"""Migration 0021 folds ``email_delivery`` into ``outbox`` and keeps every email's history:
an award email sent, one waiting for a retry, a reminder refused for good, a digest."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01 10:00:00.000000"


def _upgrade(database: Path, revision: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HUEY_IMMEDIATE": "1"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", revision],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def _assertion(db: sqlite3.Connection, assertion_id: int, public_id: str) -> None:
    db.execute(
        "INSERT INTO ob_assertion (id, public_id, badge_id, recipient_key, recipient_name, salt,"
        " subject_id, issued_on, evidence, status_list_id, status_index, image_version, public,"
        " credential, credential_jwt) VALUES (?, ?, 1, ?, '', 's', 'x', ?, '[]', 1, ?, 1, 1,"
        " '{}', '')",
        (assertion_id, public_id, f"k{assertion_id}", NOW, assertion_id),
    )


def _delivery(db: sqlite3.Connection, key: str, kind: str, state: str, **more: object) -> None:
    row = {"key": key, "kind": kind, "state": state, "attempts": 1, "message_id": "<m@x>"}
    row |= {"created_at": NOW, **more}
    columns = ", ".join(row)
    db.execute(
        f"INSERT INTO email_delivery ({columns}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def test_every_email_moves_into_the_outbox_under_the_key_it_is_now_owed_by(tmp_path):
    database = tmp_path / "old.db"
    _upgrade(database, "0020_i18n")
    with sqlite3.connect(database) as db:
        _assertion(db, 1, "a-sent")
        _assertion(db, 2, "a-retry")
        _assertion(db, 3, "a-expiring")
        # The award's own outbox row, already dispatched into its email row.
        db.execute(
            "INSERT INTO outbox (kind, dedupe_key, assertion_id, payload, state, attempts,"
            " created_at) VALUES ('notify_award', 'notify_award:a-sent', 1, '{}', 'sent', 1, ?)",
            (NOW,),
        )
        _delivery(db, "award:1", "award", "sent", assertion_id=1, recipient="a@x.org")
        _delivery(
            db,
            "award:2",
            "award",
            "retry",
            assertion_id=2,
            recipient="b@x.org",
            last_error="451",
            next_attempt_at=NOW,
        )
        _delivery(db, "expiry_30:3", "expiry_30", "failed", assertion_id=3, last_error="550")
        _delivery(db, "digest:7:2026-11-30", "digest", "sent", recipient="t@x.org")
    _upgrade(database, "0021_infra")
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT dedupe_key, kind, assertion_id, state, attempts, recipient, last_error,"
            " next_attempt_at IS NOT NULL, payload FROM outbox ORDER BY dedupe_key"
        ).fetchall()
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert [(*r[:8], json.loads(r[8])) for r in rows] == [
        (
            "digest:7:2026-11-30",
            "digest",
            None,
            "sent",
            1,
            "t@x.org",
            None,
            0,
            {"day": "2026-11-30"},
        ),
        ("expiry_30:3", "expiry_30", 3, "dead", 1, None, "550", 0, {}),
        (
            "notify_award:a-retry",
            "notify_award",
            2,
            "pending",
            1,
            "b@x.org",
            "451",
            1,
            {"assertion_id": "a-retry"},
        ),
        ("notify_award:a-sent", "notify_award", 1, "sent", 1, "a@x.org", None, 0, {}),
    ]
    assert "email_delivery" not in tables
