"""Criteria evaluation and progress per call, for the hot path of every sync.

The cohort sync evaluates every badge for every learner (10,000 learners per course in
bench/cohort.py), so one evaluation should cost microseconds. Baseline in the same run: a
criteria document of one threshold on one column.

Run: ``.venv/bin/python bench/criteria.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import machine_facts

TYPICAL = {
    "all": [
        {"column": 1, "min_percent": 80},
        {"any": [{"badge": "foundations"}, {"average": [2, 3, 4], "min_percent": 70}]},
        {"at_least": 2, "of": [{"column": 5, "min_points": 8}, {"column": 6, "min_percent": 50},
                               {"sum": [7, 8], "min_points": 30}]},
    ],
    "earn_by": "2027-06-30",
    "review_band_percent": 5,
}  # fmt: skip
SINGLE = {"column": 1, "min_percent": 80}
# Completion conditions beside a course total: three activities completed, then the total.
COMPLETION = {"all": [{"completed": [1, 2, 3]}, {"column": 4, "min_percent": 60}]}


def _per_call(function, runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        function()
    return (time.perf_counter() - start) / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()

    from app.criteria import Grade, evaluate, parse_criteria, progress

    grades = {str(i): Grade(str(i), 7.0 + i, 10.0 + i, None) for i in range(1, 11)}
    now = datetime(2027, 3, 1, tzinfo=UTC)
    earned = {"x"}
    print(machine_facts())
    print(f"{'criteria':<34}{'evaluate µs/call':>18}{'progress µs/call':>18}")
    baseline = None
    for name, document in (
        ("one threshold (baseline)", SINGLE),
        ("typical: nested all/any/N-of", TYPICAL),
        ("3 completed + course total", COMPLETION),
    ):
        criteria = parse_criteria(document)
        per_eval = _per_call(lambda c=criteria: evaluate(c, grades, earned, now), args.runs)
        per_progress = _per_call(
            lambda c=criteria: progress(c, grades, earned, now), args.runs // 10
        )
        baseline = baseline or per_eval
        print(
            f"{name:<34}{per_eval * 1e6:>18.1f}{per_progress * 1e6:>18.1f}"
            f"   ({per_eval / baseline:.1f}x baseline)"
        )


if __name__ == "__main__":
    main()
