"""Issue 10,000 Open Badges (both formats signed, stored) on SQLite; compare with raw Ed25519.

Run: ``.venv/bin/python bench/issuance.py [--count N] [--batch N] [--runs N]``. Prints a table
(``issue_many`` as the median of ``--runs`` runs each way, the ways taking turns) and the
machine facts. Uses a throw-away SQLite database built by the migrations.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_TMP = Path(tempfile.mkdtemp(prefix="bench-issuance-"))
os.environ.setdefault("SECRET_KEY", "bench-secret")
os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'bench.db'}"

from bench._machine import machine_facts  # noqa: E402


def _raw_signatures(seconds: float = 1.0) -> tuple[float, float]:
    """Raw Ed25519 signatures per second of wall time, and CPU seconds per signature."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key, data, count = Ed25519PrivateKey.generate(), b"x" * 64, 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            key.sign(data)
        count += 200
    return count / (time.perf_counter() - start), (time.process_time() - cpu) / count


def _issue_all(operations: Any, badge: Any, awards: list[Any], batch: int) -> tuple[float, float]:
    """Issue ``awards`` in batches; assertions per second, and CPU seconds per assertion of
    this process and its signing workers."""
    from bench._machine import CpuMeter

    with CpuMeter() as cpu:
        start = time.perf_counter()
        for offset in range(0, len(awards), batch):
            operations.issue_many(badge, awards[offset : offset + batch])
        wall = time.perf_counter() - start
    return len(awards) / wall, cpu.tool / len(awards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--single", type=int, default=500, help="one-by-one issue() calls")
    parser.add_argument("--runs", type=int, default=3, help="issue_many runs of each way")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.artwork import badge_artwork
    from app.openbadges import badges, issuers, operations
    from app.openbadges.rdfc import canonicalizer

    app = create_app({"PUBLIC_BASE_URL": "https://badges.example.org"})
    with app.app_context():
        upgrade()
        issuer = issuers.create_issuer("Bench U", "https://bench.example", "b@bench.example")
        artwork = badge_artwork("Bench")
        badge = badges.create_badge(
            issuer, "Bench", "A benchmark badge", "Run the bench", artwork=artwork
        )
        awards = [
            operations.Award(
                operations.Recipient(email=f"learner{i}@example.org", name=f"Learner {i}"),
                evidence=[{"narrative": f"Scored {60 + i % 40} %"}],
            )
            for i in range(args.count)
        ]
        raw, raw_cpu = _raw_signatures()
        half = args.count // 2
        app.config["SIGNING_PROCESSES"] = None  # the default: one worker per core
        operations.issue_many(badge, awards[: args.batch])  # start the workers
        in_process: list[tuple[float, float]] = []
        batched: list[tuple[float, float]] = []
        for run in range(args.runs):
            # Each run issues a new badge; the two ways take turns going first, so that both
            # meet the machine's drifts alike. Same-run baseline: signing in this process.
            fresh = badges.create_badge(
                issuer, f"Bench {run}", "A benchmark badge", "Run it", artwork=artwork
            )
            for workers in (False, True) if run % 2 == 0 else (True, False):
                app.config["SIGNING_PROCESSES"] = None if workers else 0
                part = awards[half:] if workers else awards[:half]
                (batched if workers else in_process).append(
                    _issue_all(operations, fresh, part, args.batch)
                )
        start = time.perf_counter()
        for i in range(args.single):
            operations.issue(badge, operations.Recipient(email=f"single{i}@example.org"))
        single = args.single / (time.perf_counter() - start)
        replay_start = time.perf_counter()
        operations.issue_many(badge, awards[: args.batch])
        replay = args.batch / (time.perf_counter() - replay_start)

    rows = [
        ("raw Ed25519 signatures/s (1 core)", raw),
        (f"baseline: issue_many signing in-process (batches of {args.batch})", in_process),
        (f"assertions/s, issue_many (batches of {args.batch}; goal >= 5,000/s)", batched),
        ("assertions/s, issue() one at a time (commit each)", single),
        ("replayed awards/s (idempotent no-ops)", replay),
    ]
    print(machine_facts())
    print("each assertion: OB 3.0 credential with eddsa-rdfc-2022 proof + VC-JWT, stored")
    print(f"issue_many figures: median of {args.runs} runs (lowest-highest)")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        if isinstance(value, list):
            rates = [rate for rate, _cpu in value]
            spread = f"  ({min(rates):,.0f}-{max(rates):,.0f})" if len(rates) > 1 else ""
            print(f"{name:<{width}}  {statistics.median(rates):>10,.0f}{spread}")
        else:
            print(f"{name:<{width}}  {value:>10,.0f}")
    print(f"canonicalization fallbacks to plain pyld: {canonicalizer.fallbacks}")
    ratio = statistics.median(b / i for (b, _), (i, _) in zip(batched, in_process, strict=True))
    print(f"with worker processes / in-process (same run): {ratio:.2f}x")
    # CPU is steadier than wall time on a shared machine. The goal, 5,000/s on 2 cores
    # against ~31,000 raw signatures/s on 1 quiet core, is a budget of ~12.4 signatures'
    # CPU per assertion, provided the cores are kept busy (cores busy = rate x CPU).
    for name, runs in (("in-process", in_process), ("with workers", batched)):
        cpu = statistics.median(c for _rate, c in runs)
        busy = statistics.median(rate * c for rate, c in runs)
        print(
            f"CPU per assertion, {name}: {cpu * 1e6:,.0f} us = {cpu / raw_cpu:.1f} raw "
            f"signatures (budget at 5,000/s on 2 cores: ~12.4); cores kept busy: {busy:.2f}"
        )


if __name__ == "__main__":
    main()
