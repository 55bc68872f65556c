"""AGS sync of a large course: 5,000 learners x 20 columns (100,000 results).

Measures the first sync (every result is new: stored) and a second sync of the unchanged
course (every result read again over HTTP, nothing written): wall time and the peak resident
memory of the tool's process during each, and the unchanged/first ratio. No badge is
enabled, so this is the grade pipeline alone. Same-run baseline: reading the same results
over HTTP without storing anything (what any sync must pay).

Run: ``.venv/bin/python bench/sync.py [--learners N] [--columns N] [--database-url …]``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import CpuMeter
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=5_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()

    with Harness(args.database_url) as harness:
        from app.extensions import db
        from app.grades.models import Column
        from app.grades.sync import ColumnRef, read_results, sync_course

        _info, context = harness.course(args.learners, args.columns, score_fraction=1.0)
        columns = [
            ColumnRef(c.id, c.public_id, c.lti_lineitem_id, c.score_maximum, None)
            for c in db.session.scalars(db.select(Column).where(Column.context_id == context.id))
        ]
        apart = (harness.process.pid,)
        rows = []
        for label in ("first sync (all results new)", "second sync (unchanged)"):
            with PeakMemory() as memory, CpuMeter(apart) as cpu:
                start = time.perf_counter()
                result = sync_course(context.id)
                wall = time.perf_counter() - start
            rows.append((label, wall, cpu, result.results, result.passed.changed, memory))
        with PeakMemory() as memory, CpuMeter(apart) as cpu:
            start = time.perf_counter()
            read = sum(len(items) for _column, items in read_results(context.id, columns))
            rows.append(
                (
                    "baseline: read the results only",
                    time.perf_counter() - start,
                    cpu,
                    read,
                    0,
                    memory,
                )
            )
        first, second = rows[0][2].tool, rows[1][2].tool
        assert rows[1][4] == 0
        engine = "PostgreSQL" if harness.postgres else "SQLite"
        print(
            table(
                f"AGS sync: {args.learners:,} learners x {args.columns} columns, {engine}; "
                f"tool CPU unchanged/first = {second / first:.2f} (goal <= 0.30); "
                f"peak RSS goal < 128 MiB",
                (
                    "sync",
                    "wall s",
                    "tool CPU s",
                    "platform CPU s",
                    "results",
                    "changed",
                    "peak RSS MiB (+delta)",
                ),
                [
                    (
                        label,
                        f"{wall:.2f}",
                        f"{cpu.tool:.2f}",
                        f"{cpu.platform:.2f}",
                        f"{results:,}",
                        f"{changed:,}",
                        f"{m.peak:.0f} (+{m.peak - m.start:.0f})",
                    )
                    for label, wall, cpu, results, changed, m in rows
                ],
            )
        )


if __name__ == "__main__":
    main()
