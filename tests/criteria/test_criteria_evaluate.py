"""evaluate(): example-based tests for every node type, the review band and earn_by."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.criteria import Decision, Grade, evaluate, parse_criteria

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def grade(column: str, score: float | None, maximum: float | None = 100.0, ts=None) -> Grade:
    return Grade(column, score, maximum, ts)


def run(doc: dict, *grades: Grade, earned=(), now: datetime = NOW) -> Decision:
    return evaluate(parse_criteria(doc), {g.column_id: g for g in grades}, set(earned), now)


def outcome(doc: dict, *grades: Grade, earned=(), now: datetime = NOW) -> str:
    return run(doc, *grades, earned=earned, now=now).outcome


PCT80 = {"column": "q", "min_percent": 80}

# --- column, percent ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "maximum", "expected"),
    [
        (80, 100, "award"),  # the boundary is inclusive
        (100, 100, "award"),
        (120, 100, "award"),  # extra credit above the maximum still counts
        (8, 10, "award"),
        (79.9, 100, "not_met"),
        (79.99999, 100, "not_met"),  # the tolerance is tiny, not a rounding to whole percents
        (0, 100, "not_met"),
        (-5, 100, "not_met"),
        (None, 100, "not_met"),  # no grade yet
        (90, None, "not_met"),  # no maximum: no percentage, never a guess
        (90, 0, "not_met"),  # zero maximum: never divide by zero
        (90, -100, "not_met"),
        (math.nan, 100, "not_met"),
        (90, math.nan, "not_met"),
        (math.inf, 100, "not_met"),  # not a real score
        (90, math.inf, "not_met"),
    ],
)
def test_column_percent(score, maximum, expected):
    assert outcome(PCT80, grade("q", score, maximum)) == expected


def test_column_without_any_grade_is_not_met():
    decision = run(PCT80)
    assert decision.outcome == "not_met"
    (evidence,) = decision.evidence
    assert evidence.problem == "no_grade"
    assert evidence.missing == ("q",)
    assert decision.reasons == ("Column q: no grade yet (needed 80 %)",)


@pytest.mark.parametrize(
    ("score", "maximum", "threshold"),
    [
        (0.57, 1, 57),  # 0.57 / 1 * 100 == 56.99999999999999
        (0.29, 1, 29),  # 28.999999999999996
        (0.8, 1, 80),
        (1 / 3, 1, 100 / 3),  # 33.33333333333333 vs 33.333333333333336
        (7, 29, 7 / 29 * 100),
        (0.1 + 0.2, 0.5, 60),  # 60.00000000000001 is above anyway
        (2.675, 3.0, 89.16666666666667),
    ],
)
def test_float_noise_at_the_threshold_counts_as_met(score, maximum, threshold):
    assert outcome({"column": "q", "min_percent": threshold}, grade("q", score, maximum)) == "award"


def test_evidence_for_a_percent_leaf():
    decision = run(PCT80, grade("q", 85, 100))
    (ev,) = decision.evidence
    assert (ev.path, ev.kind, ev.column, ev.columns) == ("", "column", "q", ("q",))
    assert (ev.score, ev.maximum, ev.percent, ev.value) == (85, 100, 85, 85)
    assert (ev.unit, ev.threshold, ev.met, ev.borderline, ev.late) == (
        "percent", 80, True, False, False
    )  # fmt: skip
    assert decision.reasons == ()
    assert decision.met


# --- column, points ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "maximum", "expected"),
    [
        (7.5, 10, "award"),
        (7.5, None, "award"),  # points need no maximum
        (7.5, 0, "award"),
        (9, 10, "award"),
        (7.49, 10, "not_met"),
        (None, 10, "not_met"),
        (-7.5, 10, "not_met"),
        (math.nan, 10, "not_met"),
    ],
)
def test_column_points(score, maximum, expected):
    assert outcome({"column": "p", "min_points": 7.5}, grade("p", score, maximum)) == expected


def test_points_evidence_shows_percent_when_known():
    (ev,) = run({"column": "p", "min_points": 5}, grade("p", 6, 8)).evidence
    assert (ev.value, ev.percent, ev.unit) == (6, 75, "points")


def test_zero_threshold_needs_a_grade():
    assert outcome({"column": "q", "min_percent": 0}, grade("q", 0, 100)) == "award"
    assert outcome({"column": "q", "min_percent": 0}) == "not_met"
    assert outcome({"column": "q", "min_points": 0}, grade("q", 0, None)) == "award"


# --- badges ------------------------------------------------------------------------------------


def test_badge_prerequisite():
    doc = {"badge": 7}  # ids normalize to str: "7" is what callers hold
    assert outcome(doc, earned={"7"}) == "award"
    decision = run(doc, earned={"8"})
    assert decision.outcome == "not_met"
    assert decision.evidence[0].kind == "badge"
    assert decision.evidence[0].badge == "7"
    assert decision.reasons == ("Badge 7: not earned yet",)


# --- combinators --------------------------------------------------------------------------------

A = {"column": "a", "min_percent": 50}
B = {"column": "b", "min_percent": 50}
C = {"column": "c", "min_percent": 50}
PASS = {k: grade(k, 60) for k in "abc"}
FAIL = {k: grade(k, 10) for k in "abc"}


def test_all():
    doc = {"all": [A, B, {"badge": "x"}]}
    assert outcome(doc, PASS["a"], PASS["b"], earned={"x"}) == "award"
    assert outcome(doc, PASS["a"], PASS["b"]) == "not_met"
    assert outcome(doc, PASS["a"], FAIL["b"], earned={"x"}) == "not_met"


def test_any():
    doc = {"any": [A, B]}
    assert outcome(doc, FAIL["a"], PASS["b"]) == "award"
    assert outcome(doc, FAIL["a"], FAIL["b"]) == "not_met"
    assert outcome(doc) == "not_met"


@pytest.mark.parametrize(
    ("passing", "k", "expected"),
    [("", 1, "not_met"), ("a", 1, "award"), ("a", 2, "not_met"), ("ac", 2, "award"),
     ("abc", 3, "award"), ("ab", 3, "not_met")],
)  # fmt: skip
def test_at_least(passing, k, expected):
    doc = {"at_least": k, "of": [A, B, C]}
    grades = [PASS[x] if x in passing else FAIL[x] for x in "abc"]
    assert outcome(doc, *grades) == expected


def test_nested_evidence_paths_and_order():
    doc = {"all": [A, {"any": [B, {"at_least": 1, "of": [C, {"badge": 1}]}]}]}
    decision = run(doc, PASS["a"])
    # JSON pointers into the document, in document order.
    assert [e.path for e in decision.evidence] == [
        "/all/0", "/all/1/any/0", "/all/1/any/1/of/0", "/all/1/any/1/of/1"
    ]  # fmt: skip


def test_reasons_list_only_what_blocks():
    """An unmet option of a met "any" is not a reason; an unmet "all" part is."""
    doc = {"all": [{"any": [A, B]}, C]}
    decision = run(doc, PASS["a"], FAIL["b"], FAIL["c"])
    assert decision.outcome == "not_met"
    assert decision.reasons == ("Column c: 10 % (needed 50 %)",)
    # ...but every leaf is still evidence.
    assert [e.column for e in decision.evidence] == ["a", "b", "c"]


# --- aggregates ---------------------------------------------------------------------------------


def test_average_of_percentages():
    doc = {"average": ["a", "b"], "min_percent": 70}
    # 9/10 = 90 % and 50/100 = 50 %: the mean of percentages is 70 %, not 59/110 points.
    assert outcome(doc, grade("a", 9, 10), grade("b", 50, 100)) == "award"
    assert outcome(doc, grade("a", 9, 10), grade("b", 49, 100)) == "not_met"


def test_average_counts_missing_columns_as_zero():
    doc = {"average": ["a", "b"], "min_percent": 50}
    decision = run(doc, grade("a", 100))
    assert decision.outcome == "award"  # (100 + 0) / 2 = 50
    (ev,) = decision.evidence
    assert (ev.kind, ev.percent, ev.missing, ev.columns) == ("average", 50, ("b",), ("a", "b"))
    # A grade without a usable maximum also counts as 0 %.
    assert outcome(doc, grade("a", 99), grade("b", 50, 0)) == "not_met"
    assert outcome({"average": ["a"], "min_percent": 0}) == "award"  # 0 % >= 0 %


def test_sum_of_raw_scores():
    doc = {"sum": ["a", "b", "c"], "min_points": 0.6}
    # Float sums are noisy (0.3 + 0.3 == 0.6 exactly, 0.1 + 0.2 + 0.3 == 0.6000000000000001).
    assert outcome(doc, grade("a", 0.1), grade("b", 0.2), grade("c", 0.3)) == "award"
    assert outcome(doc, grade("a", 0.3), grade("b", 0.3)) == "award"  # c missing counts 0
    assert outcome(doc, grade("a", 0.3), grade("b", 0.29)) == "not_met"
    assert outcome(doc, grade("a", 1), grade("b", -0.5)) == "not_met"  # a negative score counts
    decision = run(doc, grade("a", 0.5), grade("b", math.nan))
    assert (decision.evidence[0].score, decision.evidence[0].missing) == (0.5, ("b", "c"))


def test_aggregates_survive_overflowing_inputs():
    doc = {"sum": ["a", "b"], "min_points": 1}
    assert outcome(doc, grade("a", 1e308), grade("b", 1e308)) == "not_met"
    avg = {"average": ["a", "b"], "min_percent": 1}
    assert outcome(avg, grade("a", 1e308, 1e-308), grade("b", 1, 100)) == "not_met"


# --- review band --------------------------------------------------------------------------------


def banded(doc: dict, band: float) -> dict:
    return {**doc, "review_band_percent": band}


@pytest.mark.parametrize(
    ("score", "band", "expected"),
    [
        (80, 5, "award"),
        (77, 5, "review"),
        (75, 5, "review"),  # exactly band points below: still borderline
        (74.9, 5, "not_met"),
        (77, 0, "not_met"),  # no band: never review
        (None, 5, "not_met"),  # no grade is not "close"
    ],
)
def test_review_band_on_percent(score, band, expected):
    assert outcome(banded(PCT80, band), grade("q", score)) == expected


def test_review_band_on_points_is_a_percentage_of_the_threshold():
    doc = banded({"column": "p", "min_points": 40}, 10)  # 10 % of 40 points = 4 points
    assert outcome(doc, grade("p", 36, None)) == "review"
    assert outcome(doc, grade("p", 35.9, None)) == "not_met"
    assert outcome(banded({"sum": ["p", "r"], "min_points": 40}, 10), grade("p", 36, None)) == (
        "review"
    )


def test_review_band_on_an_average():
    doc = banded({"average": ["a", "b"], "min_percent": 70}, 5)
    assert outcome(doc, grade("a", 70), grade("b", 60)) == "review"  # 65 %


def test_review_is_met_if_borderline_leaves_were_met():
    doc = banded({"all": [A, B]}, 5)
    assert outcome(doc, grade("a", 47), PASS["b"]) == "review"
    assert outcome(doc, grade("a", 47), grade("b", 46)) == "review"  # both borderline
    assert outcome(doc, grade("a", 47), FAIL["b"]) == "not_met"  # b is far off
    # "any": a borderline option makes it reviewable; a met one makes it an award.
    any_doc = banded({"any": [A, B]}, 5)
    assert outcome(any_doc, grade("a", 47), FAIL["b"]) == "review"
    assert outcome(any_doc, grade("a", 47), PASS["b"]) == "award"
    # at_least 2 of 3: one met plus one borderline is reviewable; one met alone is not.
    k_doc = banded({"at_least": 2, "of": [A, B, C]}, 5)
    assert outcome(k_doc, PASS["a"], grade("b", 46), FAIL["c"]) == "review"
    assert outcome(k_doc, PASS["a"], FAIL["b"], FAIL["c"]) == "not_met"
    # a badge prerequisite is never borderline
    assert outcome(banded({"all": [A, {"badge": 1}]}, 5), grade("a", 47)) == "not_met"


def test_review_decision_names_the_borderline_parts():
    decision = run(banded({"all": [A, B]}, 5), grade("a", 47), PASS["b"])
    assert decision.reasons == ("Column a: 47 % (needed 50 %; within the review band)",)
    assert [e.borderline for e in decision.evidence] == [True, False]


# --- earn_by ------------------------------------------------------------------------------------

DEADLINE = datetime(2027, 6, 30, 15, 0, tzinfo=UTC)
BY_INSTANT = {**PCT80, "earn_by": "2027-06-30T17:00:00+02:00"}  # == DEADLINE
BEFORE, AFTER = DEADLINE - timedelta(days=1), DEADLINE + timedelta(days=1)


def test_before_the_deadline_every_grade_counts():
    assert outcome(BY_INSTANT, grade("q", 90), now=BEFORE) == "award"
    # A timestamp "after" the deadline while it has not passed is clock skew, not lateness.
    assert outcome(BY_INSTANT, grade("q", 90, ts=AFTER), now=BEFORE) == "award"
    assert outcome(BY_INSTANT, grade("q", 90), now=DEADLINE) == "award"  # inclusive


def test_grade_given_in_time_but_seen_late_is_awarded():
    decision = run(BY_INSTANT, grade("q", 90, ts=DEADLINE), now=AFTER)
    assert decision.outcome == "award"
    assert decision.deadline_passed


def test_criteria_met_only_after_the_deadline_expire():
    decision = run(BY_INSTANT, grade("q", 90, ts=DEADLINE + timedelta(seconds=1)), now=AFTER)
    assert decision.outcome == "expired"
    (ev,) = decision.evidence
    assert ev.late and ev.met  # expired evidence is the evaluation ignoring the deadline
    assert decision.reasons[0].startswith("the criteria were met only after the earn-by date")
    assert "graded after the earn-by date" in decision.reasons[1]


def test_grade_without_timestamp_after_the_deadline_is_not_in_time():
    assert outcome(BY_INSTANT, grade("q", 90), now=AFTER) == "expired"


def test_not_met_after_the_deadline_says_so():
    decision = run(BY_INSTANT, grade("q", 50, ts=BEFORE), now=AFTER)
    assert decision.outcome == "not_met"
    assert decision.deadline_passed
    assert decision.reasons == (
        "Column q: 50 % (needed 80 %)",
        "the earn-by date (30 June 2027 at 17:00 (UTC+02:00)) has passed",
    )


def test_borderline_in_time_after_the_deadline_is_reviewed():
    doc = {**BY_INSTANT, "review_band_percent": 5}
    assert outcome(doc, grade("q", 78, ts=BEFORE), now=AFTER) == "review"
    assert outcome(doc, grade("q", 78, ts=AFTER), now=AFTER) == "not_met"  # late and short


def test_date_deadline_is_the_end_of_that_day_anywhere_on_earth():
    doc = {**PCT80, "earn_by": "2027-06-30"}
    later = datetime(2027, 8, 1, tzinfo=UTC)
    last = datetime(2027, 7, 1, 11, 59, 59, tzinfo=UTC)  # 23:59:59 on 30 June in UTC-12
    assert outcome(doc, grade("q", 90, ts=last), now=later) == "award"
    assert outcome(doc, grade("q", 90, ts=last + timedelta(seconds=1)), now=later) == "expired"
    assert outcome(doc, grade("q", 90), now=last) == "award"
    assert outcome(doc, grade("q", 90), now=last + timedelta(seconds=1)) == "expired"


def test_naive_datetimes_are_utc():
    naive_deadline = DEADLINE.replace(tzinfo=None)
    assert outcome(BY_INSTANT, grade("q", 90, ts=naive_deadline), now=AFTER) == "award"
    late = naive_deadline + timedelta(seconds=1)
    assert outcome(BY_INSTANT, grade("q", 90, ts=late), now=AFTER) == "expired"
    assert outcome(BY_INSTANT, grade("q", 90), now=naive_deadline) == "award"
    tokyo = timezone(timedelta(hours=9))
    assert outcome(BY_INSTANT, grade("q", 90, ts=DEADLINE.astimezone(tokyo)), now=AFTER) == "award"


def test_badges_have_no_time_and_always_count():
    doc = {"all": [PCT80, {"badge": 1}], "earn_by": "2027-06-30T17:00:00+02:00"}
    assert outcome(doc, grade("q", 90, ts=BEFORE), earned={"1"}, now=AFTER) == "award"


def test_a_late_grade_in_an_aggregate_counts_as_zero_in_time():
    doc = {"average": ["a", "b"], "min_percent": 60, "earn_by": "2027-06-30T17:00:00+02:00"}
    grades = (grade("a", 100, ts=BEFORE), grade("b", 40, ts=AFTER))
    decision = run(doc, *grades, now=AFTER + timedelta(days=1))
    assert decision.outcome == "expired"  # 70 % with the late grade, 50 % without
    assert decision.evidence[0].percent == 70
    in_time = run({**doc, "review_band_percent": 10}, *grades, now=AFTER + timedelta(days=1))
    assert in_time.outcome == "review"
    assert in_time.evidence[0].percent == 50
    assert in_time.evidence[0].late
    assert in_time.evidence[0].missing == ()  # b has a grade; it is late, not missing


def test_an_unmet_any_with_one_late_option():
    doc = {"any": [A, B], "earn_by": "2027-06-30T17:00:00+02:00"}
    grades = (grade("a", 10, ts=BEFORE), grade("b", 90, ts=AFTER))
    assert outcome(doc, *grades, now=AFTER) == "expired"
    assert outcome(doc, grade("a", 90, ts=BEFORE), grade("b", 90, ts=AFTER), now=AFTER) == "award"


# --- misc ---------------------------------------------------------------------------------------


def test_grades_for_unrelated_columns_are_ignored():
    assert outcome(PCT80, grade("q", 90), grade("other", math.nan, 0)) == "award"


def test_int_like_string_ids_match():
    """Documents may use 12 or "12"; grades are keyed by str (the ids callers store)."""
    doc = {"column": 12, "min_percent": 80}
    assert evaluate(parse_criteria(doc), {"12": grade("12", 90)}, set(), NOW).outcome == "award"
