"""Hypothesis strategies for criteria documents and learners' grades.

Column and badge ids come from small pools so that generated criteria and generated grades
actually meet (a random id would almost never have a grade, and every property would be
checked only against "no grade yet").
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

from app.criteria import (
    AllNode,
    AnyNode,
    AtLeastNode,
    AverageNode,
    BadgeNode,
    ColumnNode,
    CompletedNode,
    Criteria,
    Grade,
    Node,
    SumNode,
)

COLUMNS = ("1", "2", "3", "4", "quiz-5")
BADGES = ("10", "foundations")

# Thresholds like staff type them, plus awkward fractions; bounded as parse_criteria requires.
percents = st.one_of(
    st.integers(0, 100).map(float),
    st.floats(0, 100, allow_nan=False, allow_infinity=False),
)
points = st.one_of(
    st.integers(0, 200).map(float),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
)
column_ids = st.sampled_from(COLUMNS)
badge_ids = st.sampled_from(BADGES)

column_leaves = (
    st.builds(
        ColumnNode,
        column_ids,
        st.sampled_from(["percent", "points"]),
        st.integers(0, 100).map(float),  # <= 100 so it is valid for both units
    )
    | st.builds(lambda c, t: ColumnNode(c, "points", t), column_ids, points)
    | st.builds(lambda c, t: ColumnNode(c, "percent", t), column_ids, percents)
)
badge_leaves = st.builds(BadgeNode, badge_ids)
column_lists = st.lists(column_ids, min_size=1, max_size=len(COLUMNS), unique=True).map(tuple)
averages = st.builds(AverageNode, column_lists, percents)
sums = st.builds(SumNode, column_lists, points)
completions = st.builds(CompletedNode, column_lists)
leaves = st.one_of(column_leaves, badge_leaves, averages, sums, completions)


def _combinators(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    lists = st.lists(children, min_size=1, max_size=4).map(tuple)
    at_least = lists.flatmap(
        lambda kids: st.integers(1, len(kids)).map(lambda k: AtLeastNode(k, kids))
    )
    return st.one_of(lists.map(AllNode), lists.map(AnyNode), at_least)


# max_leaves keeps trees small enough to stay well inside MAX_DEPTH and fast to evaluate.
nodes: st.SearchStrategy[Node] = st.recursive(leaves, _combinators, max_leaves=12)

aware_datetimes = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
earn_bys = st.one_of(
    st.none(),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.builds(
        lambda moment, hours: moment.astimezone(timezone(timedelta(hours=hours))),
        aware_datetimes,
        st.integers(-12, 14),
    ),
)
bands = st.one_of(st.just(0.0), st.integers(0, 20).map(float), st.floats(0, 100))


def criteria(band: st.SearchStrategy[float] = bands) -> st.SearchStrategy[Criteria]:
    """Valid `Criteria` (as parse_criteria would build them)."""
    return st.builds(Criteria, nodes, earn_bys, band)


# Anything a grade source might hand us, including the values that must never crash evaluate.
wild_numbers = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-1000, 1000).map(float),
    st.sampled_from([0.0, -0.0, 1.0, 100.0, math.nan, math.inf, -math.inf, 1e308, 5e-324]),
)
timestamps = st.one_of(st.none(), aware_datetimes, st.datetimes())  # naive ones too


@st.composite
def wild_grades(draw: st.DrawFn) -> dict[str, Grade]:
    """Grades for some of the pool's columns, with arbitrary (even absurd) numbers."""
    chosen = draw(st.lists(column_ids, unique=True, max_size=len(COLUMNS)))
    return {c: Grade(c, draw(wild_numbers), draw(wild_numbers), draw(timestamps)) for c in chosen}


@st.composite
def sane_grades(draw: st.DrawFn) -> dict[str, Grade]:
    """Finite scores with positive maxima (for properties about raising a score)."""
    chosen = draw(st.lists(column_ids, unique=True, max_size=len(COLUMNS)))
    grades = {}
    for c in chosen:
        maximum = draw(st.sampled_from([1.0, 10.0, 20.0, 29.0, 100.0, 150.0]))
        score = draw(st.floats(0, maximum * 1.2, allow_nan=False, allow_infinity=False))
        grades[c] = Grade(c, score, maximum, draw(st.one_of(st.none(), aware_datetimes)))
    return grades


earned_sets = st.frozensets(badge_ids)
nows = aware_datetimes
