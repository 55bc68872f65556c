"""AGS sync of a large course: 5,000 learners x 20 columns (100,000 results).

Measures the first sync (every result is new: stored) and a second sync of the unchanged
course (every result read again over HTTP, nothing written): wall time, CPU and the peak
resident memory of the process that syncs, and the unchanged/first ratio. The syncs run in a
fresh process that starts as a queue consumer does (``create_app(serve_web=False)``, as
``flask worker`` runs it, then the jobs, one after another), so its memory is the tool's alone,
not the benchmark's (which also holds the sandbox LMS and the seeded course); the table shows
that process before each run and at its peak. No badge is enabled, so this is the grade
pipeline alone. Same-run baseline: reading the same results over HTTP and digesting them
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


def _child(context_id: int, cache_dir: str, sandbox_pid: int) -> None:
    """In a fresh process started as a queue consumer (``create_app(serve_web=False)``, then
    the jobs): the first sync, the unchanged one and the read-only baseline, one after another
    as a consumer would run them; print each one's wall, CPU, results, changed, the platform's CPU
    meanwhile, and the resident memory before and at its peak."""
    from app import create_app

    app = create_app(
        {"OUTBOUND_ALLOW_PRIVATE_NETWORKS": True, "CACHE_DIR": cache_dir}, serve_web=False
    )
    sandbox = (sandbox_pid, *descendants(sandbox_pid))
    rows = []
    with app.app_context():
        from app.extensions import db
        from app.grades.models import Column
        from app.grades.sync import ColumnRef, read_results, sync_course

        def read() -> tuple[int, int]:
            columns = [
                ColumnRef.of(c)
                for c in db.session.scalars(
                    db.select(Column).where(Column.context_id == context_id)
                )
            ]
            return sum(read.count for _c, read in read_results(context_id, columns)), 0

        def sync() -> tuple[int, int]:
            result = sync_course(context_id)
            return result.results, result.passed.changed

        for run in (sync, sync, read):
            platform = sum(cpu_seconds(p) for p in sandbox)
            with PeakMemory() as memory:
                cpu, start = time.process_time(), time.perf_counter()
                results, changed = run()
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            rows.append(
                {
                    "wall": wall,
                    "tool": cpu,
                    "platform": sum(cpu_seconds(p) for p in sandbox) - platform,
                    "results": results,
                    "changed": changed,
                    "rest": memory.start,
                    "peak": memory.peak,
                }
            )
    print(json.dumps(rows))


def _in_worker(context_id: int, harness: Harness) -> list[SimpleNamespace]:
    """Run :func:`_child` in a new interpreter and return its rows."""
    command = [sys.executable, __file__, "--child", str(context_id)]
    out = subprocess.run(
        [
            *command,
            "--cache-dir",
            str(harness.tmp / "cache"),
            "--sandbox",
            str(harness.process.pid),
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OUTBOUND_ALLOW_PRIVATE_NETWORKS": "1"},
    ).stdout
    return [SimpleNamespace(**row) for row in json.loads(out.strip().splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=5_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # a course's id
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", type=int, help=argparse.SUPPRESS)  # its process id
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.cache_dir, args.sandbox)
        return

    with Harness(args.database_url) as harness:
        _info, context = harness.course(args.learners, args.columns, score_fraction=1.0)
        labels = (
            "first sync (all results new)",
            "second sync (unchanged)",
            "baseline: read the results only",
        )
        rows = list(zip(labels, _in_worker(context.id, harness), strict=True))
        first, second = rows[0][1].tool, rows[1][1].tool
        assert rows[1][1].changed == 0
        engine = "PostgreSQL" if harness.postgres else "SQLite"
        print(
            table(
                f"AGS sync: {args.learners:,} learners x {args.columns} columns, {engine}; "
                f"tool CPU unchanged/first = {second / first:.2f} (goal <= 0.30); "
                f"peak RSS of the syncing process: goal < 128 MiB",
                (
                    "sync (in one fresh worker process)",
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
