"""Migration 0014_criteria keeps every column and gives it its kind: the connector columns
whose keys say what they are (course totals, Moodle activity and course completion) get that
kind, everything else (the tool's own AGS columns included) is a score. Runs the real
migrations in a subprocess on a throw-away SQLite file, from the revision before."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _before() -> str:
    path = ROOT / "migrations" / "versions" / "0014_criteria.py"
    spec = importlib.util.spec_from_file_location("criteria_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def _flask_db(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_existing_columns_get_their_kind(tmp_path):
    path = tmp_path / "before.db"
    url = f"sqlite:///{path}"
    _flask_db(url, "upgrade", _before())
    rows = [
        ("https://lms.example/lineitems/1", "ags"),
        ("moodle:gradeitem:38", "moodle"),
        ("moodle:course-total", "moodle"),
        ("moodle:completion:12", "moodle"),
        ("moodle:course-completion", "moodle"),
        ("canvas:assignment:7", "canvas"),
        ("canvas:course-total", "canvas"),
        ("moodle:course-total", "ags"),  # an AGS line item is the tool's own: a score
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO grade_column (public_id, context_id, lti_lineitem_id, label, tag, "
            "resource_link_id, active, source, created_at, updated_at) "
            "VALUES (?, ?, ?, 'x', '', '', 1, ?, '2026-01-01', '2026-01-01')",
            [(f"p{i}", 1 + i, key, source) for i, (key, source) in enumerate(rows)],
        )
    _flask_db(url, "upgrade")
    with sqlite3.connect(path) as conn:
        kinds = dict(conn.execute("SELECT public_id, kind FROM grade_column").fetchall())
    assert [kinds[f"p{i}"] for i in range(len(rows))] == [
        "score",
        "score",
        "course_total",
        "activity_completion",
        "course_completion",
        "score",
        "course_total",
        "score",
    ]
