"""Property tests (hypothesis) for the criteria engine.

The award pipeline trusts `evaluate` blindly for thousands of learners per sync, so these
check the algebra it must obey rather than examples: monotonicity, the laws of all/any/at_least,
determinism, totality on junk grades, and the JSON round trip.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.criteria import (
    AllNode,
    AnyNode,
    AtLeastNode,
    ColumnNode,
    Criteria,
    CriteriaError,
    Grade,
    criteria_to_json,
    describe,
    evaluate,
    parse_criteria,
    progress,
    referenced_columns,
)
from app.criteria.schema import iter_nodes

from .strategies import (
    COLUMNS,
    aware_datetimes,
    criteria,
    earn_bys,
    earned_sets,
    nodes,
    nows,
    sane_grades,
    wild_grades,
)

RANK = {"not_met": 0, "review": 1, "award": 2}
LABELS = {c: f"Quiz {c}" for c in COLUMNS}
NAMES = {"10": "Ten", "foundations": "Foundations"}

# CRITERIA_EXAMPLES=5000 for a deeper run; 150 keeps the default suite at a few seconds.
settings.register_profile(
    "criteria",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=int(os.environ.get("CRITERIA_EXAMPLES", "150")),
)
settings.load_profile("criteria")


def outcome(c: Criteria, grades, earned, now) -> str:
    return evaluate(c, grades, earned, now).outcome


# --- totality and determinism -----------------------------------------------------------------


@given(criteria(), wild_grades(), earned_sets, st.one_of(nows, st.datetimes()))
def test_evaluate_never_raises_and_is_deterministic(c, grades, earned, now):
    first = evaluate(c, grades, earned, now)
    assert first.outcome in ("award", "review", "not_met", "expired")
    # Same inputs, different container types and insertion order: an equal Decision.
    reordered = dict(reversed(list(grades.items())))
    assert evaluate(c, reordered, frozenset(earned), now) == first
    assert evaluate(c, grades, sorted(earned), now) == first
    assert (first.reasons == ()) == (first.outcome == "award")
    # Evidence never carries NaN (so decisions compare equal and serialize to JSON).
    for ev in first.evidence:
        for value in (ev.score, ev.maximum, ev.percent):
            assert value is None or value == value


@given(criteria(), wild_grades(), earned_sets, nows)
def test_describe_and_progress_never_raise(c, grades, earned, now):
    text = describe(c, LABELS, NAMES)
    assert text == describe(c, LABELS, NAMES)
    assert text[0].isupper() and text.endswith(".")
    items = progress(c, grades, earned, now, LABELS, NAMES)
    assert items == progress(c, grades, earned, now, LABELS, NAMES)
    leaves = [n for n in iter_nodes(c.root) if not isinstance(n, AllNode | AnyNode | AtLeastNode)]
    assert sum(i.kind in ("column", "average", "sum", "badge", "completed") for i in items) == len(
        leaves
    )
    for item in items:
        assert 0.0 <= item.fraction <= 1.0
        assert (item.fraction == 1.0) == item.met
    decision = evaluate(c, grades, earned, now)
    by_path = {e.path: e for e in decision.evidence}
    if decision.outcome != "expired":  # progress shows the in-time walk, like the decision
        for item in items:
            if item.path in by_path:
                assert item.met == by_path[item.path].met


@given(criteria(band=st.just(0.0)), wild_grades(), earned_sets, nows)
def test_no_review_without_a_band(c, grades, earned, now):
    assert outcome(c, grades, earned, now) != "review"
    assert not any(e.borderline for e in evaluate(c, grades, earned, now).evidence)


# --- monotonicity -------------------------------------------------------------------------------


@st.composite
def raised(draw: st.DrawFn, grades: dict[str, Grade]) -> dict[str, Grade]:
    """The same grades with one score raised (or a missing grade given, score >= 0)."""
    column = draw(st.sampled_from(COLUMNS))
    delta = draw(st.floats(0, 500, allow_nan=False))
    new = dict(grades)
    if column in grades:
        old = grades[column]
        new[column] = replace(old, score=old.score + delta)
    else:
        new[column] = Grade(column, delta, draw(st.sampled_from([1.0, 100.0])), None)
    return new


@given(st.data(), criteria(), sane_grades(), earned_sets, nows)
def test_raising_a_score_never_lowers_the_outcome(data, c, grades, earned, now):
    c = replace(c, earn_by=None)
    higher = data.draw(raised(grades))
    assert RANK[outcome(c, higher, earned, now)] >= RANK[outcome(c, grades, earned, now)]


@st.composite
def generous_grades(draw: st.DrawFn) -> dict[str, Grade]:
    """High scores for every column, so that most generated criteria are met (no filtering)."""
    grades = {}
    for c in COLUMNS:
        maximum = draw(st.sampled_from([10.0, 100.0]))
        score = maximum * draw(st.floats(0.5, 1.2))
        grades[c] = Grade(c, score, maximum, draw(st.one_of(st.none(), aware_datetimes)))
    return grades


@given(st.data(), criteria(), generous_grades(), nows)
def test_raising_a_score_never_takes_an_award_away_even_with_earn_by(data, c, grades, now):
    earned = {"10", "foundations"}
    before = outcome(c, grades, earned, now)
    event(f"starting outcome: {before}")
    if before != "award":
        return
    column = data.draw(st.sampled_from(COLUMNS))
    delta = data.draw(st.floats(0, 500))
    higher = dict(grades)  # raised in place: the grade keeps its timestamp
    higher[column] = replace(grades[column], score=grades[column].score + delta)
    assert outcome(c, higher, earned, now) == "award"


@given(criteria(), sane_grades(), earned_sets, nows, earned_sets)
def test_earning_more_badges_never_lowers_the_outcome(c, grades, earned, now, more):
    c = replace(c, earn_by=None)
    assert RANK[outcome(c, grades, earned | more, now)] >= RANK[outcome(c, grades, earned, now)]


# --- laws of the combinators ------------------------------------------------------------------


def _sub(c: Criteria, node) -> Criteria:
    return replace(c, root=node)


@given(criteria(), wild_grades(), earned_sets, nows)
def test_a_combinator_of_one_child_is_the_child(c, grades, earned, now):
    child = evaluate(c, grades, earned, now)
    for wrapper in (AllNode((c.root,)), AnyNode((c.root,)), AtLeastNode(1, (c.root,))):
        wrapped = evaluate(_sub(c, wrapper), grades, earned, now)
        assert wrapped.outcome == child.outcome
        assert [e.met for e in wrapped.evidence] == [e.met for e in child.evidence]
        assert wrapped.reasons == child.reasons


@given(st.lists(nodes, min_size=1, max_size=4), criteria(), wild_grades(), earned_sets, nows)
def test_all_and_any_follow_de_morgan(children, base, grades, earned, now):
    each = [outcome(_sub(base, n), grades, earned, now) for n in children]
    met = [o == "award" for o in each]
    all_out = outcome(_sub(base, AllNode(tuple(children))), grades, earned, now)
    any_out = outcome(_sub(base, AnyNode(tuple(children))), grades, earned, now)
    assert (all_out == "award") == all(met)
    assert (any_out == "award") == any(met)
    # De Morgan on met-ness: not any(met) == all(not met); not all(met) == any(not met).
    assert (any_out != "award") == all(not m for m in met)
    assert (all_out != "award") == any(not m for m in met)
    # "review" is "met if the borderline parts were": an any is reviewable iff a child is.
    if any_out == "review":
        assert "review" in each and not any(met)


@given(st.lists(nodes, min_size=1, max_size=4), criteria(), wild_grades(), earned_sets, nows)
def test_at_least_k_of_n(children, base, grades, earned, now):
    n = len(children)
    kids = tuple(children)
    met_count = sum(outcome(_sub(base, x), grades, earned, now) == "award" for x in kids)

    def k_of(k: int) -> str:
        return outcome(_sub(base, AtLeastNode(k, kids)), grades, earned, now)

    assert k_of(1) == outcome(_sub(base, AnyNode(kids)), grades, earned, now)
    assert k_of(n) == outcome(_sub(base, AllNode(kids)), grades, earned, now)
    for k in range(1, n + 1):
        assert (k_of(k) == "award") == (met_count >= k)
    # Asking for more is never easier.
    ranks = [RANK.get(k_of(k), -1) for k in range(1, n + 1)]
    if base.earn_by is None:
        assert ranks == sorted(ranks, reverse=True)


# --- thresholds -------------------------------------------------------------------------------


@given(
    st.integers(0, 100),
    st.floats(1e-3, 1e6, allow_nan=False).filter(lambda m: m > 0),
    nows,
)
def test_exactly_n_percent_is_met(n, maximum, now):
    score = n / 100 * maximum  # float noise: score / maximum * 100 may land just under n
    c = Criteria(ColumnNode("1", "percent", float(n)))
    assert outcome(c, {"1": Grade("1", score, maximum, None)}, set(), now) == "award"
    assert outcome(c, {"1": Grade("1", float(n), 100.0, None)}, set(), now) == "award"


@given(st.floats(0, 1e6, allow_nan=False), st.floats(0, 100, allow_nan=False), nows)
def test_threshold_is_inclusive_for_any_threshold(threshold, percent, now):
    points = Criteria(ColumnNode("1", "points", threshold))
    assert outcome(points, {"1": Grade("1", threshold, None, None)}, set(), now) == "award"
    pct = Criteria(ColumnNode("1", "percent", percent))
    assert outcome(pct, {"1": Grade("1", percent, 100.0, None)}, set(), now) == "award"


# --- JSON ---------------------------------------------------------------------------------------


@given(criteria())
def test_json_round_trip(c):
    doc = criteria_to_json(c)
    assert parse_criteria(doc) == c
    through_text = json.loads(json.dumps(doc, allow_nan=False))
    assert parse_criteria(through_text) == c
    assert criteria_to_json(parse_criteria(through_text)) == doc  # canonical form is stable


@given(criteria())
def test_referenced_columns_cover_the_evidence(c):
    evidence_columns = {
        col
        for e in evaluate(c, {}, set(), datetime(2025, 1, 1).astimezone()).evidence
        for col in e.columns
    }
    assert evidence_columns == set(referenced_columns(c))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["column", "badge", "all", "any", "at_least", "of", "average", "sum",
             "min_percent", "min_points", "earn_by", "review_band_percent", "x"]
        ),
        inner,
        max_size=4,
    ),
    max_leaves=20,
)  # fmt: skip


@given(json_values)
def test_parse_accepts_or_raises_criteria_error_only(doc):
    try:
        c = parse_criteria(doc)
    except CriteriaError as error:
        assert error.path == "" or error.path.startswith("/")
        assert error.message
    else:
        assert parse_criteria(criteria_to_json(c)) == c


@given(criteria(), earn_bys, aware_datetimes)
def test_criteria_error_free_documents_parse_from_their_own_json(c, earn_by, _now):
    c = replace(c, earn_by=earn_by)
    assert parse_criteria(criteria_to_json(c)) == c
