"""A web worker or queue consumer at rest holds only what serving needs: the drawing,
certificate, verification, JSON-LD and migration libraries (tens of MiB between them) are
imported by the code that uses them, not by ``create_app()``; on SQLite without Redis, neither
is the Redis client nor psycopg (huey would import both). Checked in a fresh interpreter, since
this test process has imported everything already. (A consumer's sync:
``tests/background/test_consumer_app.py``.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "cairosvg",
    "PIL",
    "uharfbuzz",
    "fontTools",
    "reportlab",
    "segno",
    "alembic",
    "pyld",
    "lxml",
    "redis",
    "psycopg",
)

_PROBE = f"""
import json, sys
from app import create_app
create_app()
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def test_create_app_imports_no_drawing_certificate_migration_or_unused_client_library(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tool.db'}",
        "SECRET_KEY": "footprint-test",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
