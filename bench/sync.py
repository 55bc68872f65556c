"""AGS sync of a large course: 5,000 learners x 20 columns (100,000 results).

Measures the first sync (every result is new: stored) and a second sync of the unchanged
course (every result read again over HTTP, nothing written): wall time, CPU and the peak
resident memory of the process that syncs, and the unchanged/first ratio. Each sync runs in a
fresh process that starts as a queue consumer does (``create_app()``, then the job), so its
memory is the tool's alone, not the benchmark's (which also holds the sandbox LMS and the
seeded course); the table shows that process at rest and at its peak. No badge is enabled, so
this is the grade pipeline alone. Same-run baseline: reading the same results over HTTP
without storing anything (what any sync must pay).

Run: ``.venv/bin/python bench/sync.py [--learners N] [--columns N] [--database-url …]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import cpu_seconds, descendants
from bench.cohort import Harness, table


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
    return kb / 1024


class PeakMemory:
    """Samples the process's resident memory every 10 ms while in the block."""

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_mib())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _child(mode: str, context_id: int, cache_dir: str) -> None:
    """In a fresh process, as a queue consumer: make the app, then sync (or only read) the
    course; print wall, CPU, results, changed and resident memory at rest and at peak."""
    from app import create_app

    app = create_app({"OUTBOUND_ALLOW_PRIVATE_NETWORKS": True, "CACHE_DIR": cache_dir})
    with app.app_context():
        from app.extensions import db
        from app.grades.models import Column
        from app.grades.sync import ColumnRef, read_results, sync_course

        with PeakMemory() as memory:
            cpu, start = time.process_time(), time.perf_counter()
            if mode == "sync":
                result = sync_course(context_id)
                results, changed = result.results, result.passed.changed
            else:
                columns = [
                    ColumnRef(c.id, c.public_id, c.lti_lineitem_id, c.score_maximum, None)
                    for c in db.session.scalars(
                        db.select(Column).where(Column.context_id == context_id)
                    )
                ]
                results = sum(len(items) for _c, items in read_results(context_id, columns))
                changed = 0
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        json.dumps(
            {
                "wall": wall,
                "tool": cpu,
                "results": results,
                "changed": changed,
                "rest": memory.start,
                "peak": memory.peak,
            }
        )
    )


def _in_worker(mode: str, context_id: int, harness: Harness) -> SimpleNamespace:
    """Run :func:`_child` in a new interpreter; the sandbox's CPU meanwhile is the platform's."""
    sandbox = (harness.process.pid, *descendants(harness.process.pid))
    before = sum(cpu_seconds(p) for p in sandbox)
    command = [sys.executable, __file__, "--child", mode, "--context", str(context_id)]
    out = subprocess.run(
        [*command, "--cache-dir", str(harness.tmp / "cache")],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1"},
    ).stdout
    row = SimpleNamespace(**json.loads(out.strip().splitlines()[-1]))
    row.platform = sum(cpu_seconds(p) for p in sandbox) - before
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=5_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--child", choices=("sync", "read"), help=argparse.SUPPRESS)
    parser.add_argument("--context", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.context, args.cache_dir)
        return

    with Harness(args.database_url) as harness:
        _info, context = harness.course(args.learners, args.columns, score_fraction=1.0)
        rows = [
            (label, _in_worker(mode, context.id, harness))
            for label, mode in (
                ("first sync (all results new)", "sync"),
                ("second sync (unchanged)", "sync"),
                ("baseline: read the results only", "read"),
            )
        ]
        first, second = rows[0][1].tool, rows[1][1].tool
        assert rows[1][1].changed == 0
        engine = "PostgreSQL" if harness.postgres else "SQLite"
        print(
            table(
                f"AGS sync: {args.learners:,} learners x {args.columns} columns, {engine}; "
                f"tool CPU unchanged/first = {second / first:.2f} (goal <= 0.30); "
                f"peak RSS of the syncing process: goal < 128 MiB",
                (
                    "sync (each in a fresh worker process)",
                    "wall s",
                    "tool CPU s",
                    "platform CPU s",
                    "results",
                    "changed",
                    "RSS at rest MiB",
                    "peak RSS MiB (+delta)",
                ),
                [
                    (
                        label,
                        f"{r.wall:.2f}",
                        f"{r.tool:.2f}",
                        f"{r.platform:.2f}",
                        f"{r.results:,}",
                        f"{r.changed:,}",
                        f"{r.rest:.0f}",
                        f"{r.peak:.0f} (+{r.peak - r.rest:.0f})",
                    )
                    for label, r in rows
                ],
            )
        )


if __name__ == "__main__":
    main()
