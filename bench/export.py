"""Stream exports of 100,000 assertions: peak memory (tracemalloc) and rows/s.

Run: ``.venv/bin/python bench/export.py [--count N] [--database-url URL]``. Builds a throw-away
SQLite database with the migrations (or uses ``--database-url``, e.g. a scratch PostgreSQL
database, which it wipes), inserts the assertions as bulk rows, then exports them through the
API (``GET /api/v1/exports/assertions``, CSV and JSON) and, for contrast, loads them all as ORM
objects the way a non-streamed export would. Prints a table and the machine facts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = Path(tempfile.mkdtemp(prefix="bench-export-"))
os.environ.setdefault("SECRET_KEY", "bench-secret")


def _seed(count: int) -> str:
    """A course with one badge and ``count`` assertions; returns the course's public id."""
    from datetime import timedelta

    from app.artwork import badge_artwork
    from app.database import upsert
    from app.extensions import db
    from app.models import Context, Deployment, Registration
    from app.models.base import new_public_id, utcnow
    from app.openbadges import badges, issuers
    from app.openbadges.models import Assertion, StatusList

    registration = Registration(
        name="Bench LMS",
        issuer="https://lms.bench",
        client_id="b",
        auth_login_url="https://lms.bench/a",
        auth_token_url="https://lms.bench/t",
    )
    db.session.add(registration)
    db.session.flush()
    deployment = Deployment(registration_id=registration.id, deployment_id="d1")
    db.session.add(deployment)
    db.session.flush()
    context = Context(
        registration_id=registration.id,
        deployment_id=deployment.id,
        lti_context_id="c1",
        title="Bench course",
    )
    db.session.add(context)
    db.session.commit()
    issuer = issuers.create_issuer(
        "Bench U", "https://bench.example", "b@bench.example", registration_id=registration.id
    )
    badge = badges.create_badge(
        issuer,
        "Bench",
        "A benchmark badge",
        "Run the bench",
        context_id=context.id,
        artwork=badge_artwork("Bench"),
    )
    status_list = StatusList(issuer_id=issuer.id)
    db.session.add(status_list)
    db.session.flush()
    now = utcnow()
    # A credential of realistic size (~1.5 KB), so rows weigh what real ones do.
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["x"],
        "proof": {"proofValue": "z" * 88},
        "credentialSubject": {"x": "y" * 1200},
    }
    for start in range(0, count, 500):
        upsert(
            Assertion,
            [
                {
                    "public_id": new_public_id(),
                    "badge_id": badge.id,
                    "lti_user_id": None,
                    "recipient_key": f"email:learner{i}@example.org",
                    "recipient_email": f"learner{i}@example.org",
                    "recipient_name": f"Learner {i}",
                    "salt": "s" * 32,
                    "identity_hash": "sha256$" + "0" * 64,
                    "subject_id": f"urn:uuid:{new_public_id()}",
                    "evidence": [],
                    "issued_on": now - timedelta(minutes=i % 10_000),
                    "status_list_id": status_list.id,
                    "status_index": i,
                    "image_version": 0,
                    "public": True,
                    "accepted_at": now if i % 3 else None,
                    "credential": credential,
                    "credential_jwt": "e" * 600,
                }
                for i in range(start, min(count, start + 500))
            ],
        )
    db.session.commit()
    return context.public_id


def _measure(work: Callable[[], int]) -> tuple[int, float, float]:
    """(rows, rows/s without tracing, peak MiB with tracemalloc) of ``work``."""
    start = time.perf_counter()
    rows = work()
    rate = rows / (time.perf_counter() - start)
    tracemalloc.start()
    work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, rate, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{_TMP / 'bench.db'}"
    os.environ["HUEY_IMMEDIATE"] = "1"

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from app import create_app
    from bench._machine import machine_facts

    app = create_app({"PUBLIC_BASE_URL": "https://badges.example.org"})
    # After the factory: it imports every model first (the model modules import each other).
    from app.api.auth import create_key
    from app.extensions import db
    from app.openbadges.models import Assertion

    with app.app_context():
        if args.database_url:
            downgrade(revision="base")
        upgrade()
        started = time.perf_counter()
        context_id = _seed(args.count)
        seeded = time.perf_counter() - started
        _key, secret = create_key(None, "bench")
        client = app.test_client()

        from datetime import date, timedelta

        first, last = (date.today() - timedelta(days=60)).isoformat(), date.today().isoformat()

        def export(fmt: str) -> Callable[[], int]:
            def run() -> int:
                response = client.get(
                    "/api/v1/exports/assertions",
                    buffered=False,
                    headers={"Authorization": f"Bearer {secret}"},
                    query_string={
                        "format": fmt,
                        "context_id": context_id,
                        "from": first,
                        "to": last,
                    },
                )
                assert response.status_code == 200, response.get_data(as_text=True)
                newlines = sum(chunk.count(b"\n") for chunk in response.iter_encoded())
                response.close()
                return newlines - (1 if fmt == "csv" else 2)  # header / brackets

            return run

        def load_all() -> int:
            rows = list(db.session.scalars(select(Assertion)))
            db.session.expunge_all()
            return len(rows)

        results = [
            ("CSV export, streamed (API)", *_measure(export("csv"))),
            ("JSON export, streamed (API)", *_measure(export("json"))),
            ("for contrast: all rows loaded as ORM objects", *_measure(load_all)),
        ]
        dialect = db.engine.dialect.name

    print(machine_facts())
    print(
        f"database: {dialect}; {args.count:,} assertions seeded in {seeded:.1f} s "
        "(bulk INSERT … ON CONFLICT DO NOTHING, 500 rows per statement)"
    )
    print(f"{'what':<48} {'rows':>9} {'rows/s':>9} {'peak MiB':>9}")
    for name, rows, rate, peak in results:
        print(f"{name:<48} {rows:>9,} {rate:>9,.0f} {peak:>9.1f}")
    print(
        "peak MiB: Python allocations during one run, traced with tracemalloc "
        "(rows/s measured in a separate, untraced run)"
    )


if __name__ == "__main__":
    main()
