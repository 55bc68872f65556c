"""A cheap timing print (no assertion: CI machines vary) for the evaluate hot path.

The cohort sync evaluates every badge for every learner (10,000 learners per course in
bench/cohort.py), so one evaluation should cost microseconds.  Run with ``-s`` to see it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from app.criteria import Grade, evaluate, parse_criteria, progress

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


def test_evaluate_timing_print():
    criteria = parse_criteria(TYPICAL)
    grades = {str(i): Grade(str(i), 7.0 + i, 10.0 + i, None) for i in range(1, 11)}
    now = datetime(2027, 3, 1, tzinfo=UTC)
    runs = 10_000
    start = time.perf_counter()
    for _ in range(runs):
        decision = evaluate(criteria, grades, {"x"}, now)
    per_call = (time.perf_counter() - start) / runs
    start = time.perf_counter()
    for _ in range(1_000):
        progress(criteria, grades, {"x"}, now)
    per_progress = (time.perf_counter() - start) / 1_000
    print(
        f"\nevaluate: {per_call * 1e6:.1f} µs/call ({decision.outcome}), "
        f"progress: {per_progress * 1e6:.1f} µs/call"
    )
    assert decision.outcome in ("award", "review", "not_met")
