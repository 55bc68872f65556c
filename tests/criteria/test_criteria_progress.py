"""progress(): what the learner page shows for each criterion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.criteria import Grade, parse_criteria, progress

NOW = datetime(2027, 3, 1, tzinfo=UTC)
LABELS = {"1": "Quiz 1", "2": "Quiz 2", "3": "Quiz 3"}
NAMES = {"f": "Foundations"}


def items(doc: dict, grades=(), earned=(), now=NOW):
    return progress(
        parse_criteria(doc), {g.column_id: g for g in grades}, set(earned), now, LABELS, NAMES
    )


def test_column_and_badge_lines():
    got = items(
        {"all": [{"column": 3, "min_percent": 80}, {"badge": "f"}]},
        [Grade("3", 72, 100, None)],
        {"f"},
    )
    quiz, badge = got
    assert (quiz.label, quiz.current, quiz.needed, quiz.met) == ("Quiz 3", "72 %", "80 %", False)
    assert quiz.fraction == 72 / 80
    assert (quiz.depth, quiz.kind, quiz.path) == (0, "column", "/all/0")
    assert quiz.text == "Quiz 3: 72 % (needed 80 %)"
    assert badge.text == "requires: Foundations badge ✓"
    assert (badge.label, badge.current, badge.met, badge.fraction) == (
        "Foundations badge", "earned", True, 1.0
    )  # fmt: skip
    (missing,) = items({"badge": "f"})
    assert missing.text == "requires: Foundations badge ✗"
    assert (missing.current, missing.fraction) == ("not earned yet", 0.0)


def test_met_line_has_a_tick_and_a_full_bar():
    (item,) = items({"column": 3, "min_percent": 80}, [Grade("3", 85, 100, None)])
    assert item.text == "Quiz 3: 85 % (needed 80 %) ✓"
    assert (item.met, item.fraction) == (True, 1.0)


def test_values_never_display_across_the_threshold():
    (close,) = items({"column": 3, "min_percent": 80}, [Grade("3", 79.96, 100, None)])
    assert close.current == "79.9 %"  # not "80 %" next to "needed 80 %"
    assert close.fraction < 1.0
    (noisy,) = items({"column": 3, "min_percent": 57}, [Grade("3", 0.57, 1, None)])
    assert (noisy.current, noisy.met) == ("57 %", True)
    (two_dp,) = items({"column": 3, "min_percent": 79.95}, [Grade("3", 79.95, 100, None)])
    assert (two_dp.current, two_dp.needed, two_dp.met) == ("80 %", "79.95 %", True)


def test_missing_grades():
    (item,) = items({"column": 3, "min_percent": 80})
    assert (item.current, item.fraction, item.met) == ("no grade yet", 0.0, False)
    (item,) = items({"column": 3, "min_percent": 80}, [Grade("3", 90, 0, None)])
    assert (item.current, item.fraction) == ("no maximum score", 0.0)


def test_points_and_aggregates():
    got = items(
        {"all": [{"column": 1, "min_points": 40}, {"average": [1, 2], "min_percent": 70},
                 {"sum": [1, 2, 3], "min_points": 100}]},
        [Grade("1", 30, 50, None), Grade("2", 40, 50, None)],
    )  # fmt: skip
    points, average, total = got
    assert (points.current, points.needed, points.fraction) == ("30 points", "40 points", 0.75)
    assert average.label == "Average of Quiz 1, Quiz 2"
    assert (average.current, average.needed, average.met) == ("70 %", "70 %", True)
    assert total.label == "Total of Quiz 1, Quiz 2, Quiz 3"
    assert (total.current, total.fraction) == ("70 points", 0.7)
    assert total.text == "Total of Quiz 1, Quiz 2, and Quiz 3: 70 points (needed 100 points; " \
        "no grade in Quiz 3, counted as 0 points)"  # fmt: skip


def test_groups_are_headings_with_their_children_indented():
    doc = {
        "all": [
            {"badge": "f"},
            {"at_least": 2, "of": [{"column": 1, "min_percent": 50},
                                   {"column": 2, "min_percent": 50},
                                   {"column": 3, "min_percent": 50}]},
        ]
    }  # fmt: skip
    got = items(doc, [Grade("1", 60, 100, None), Grade("2", 25, 100, None)])
    assert [(i.depth, i.kind) for i in got] == [
        (0, "badge"), (0, "at_least"), (1, "column"), (1, "column"), (1, "column")
    ]  # fmt: skip
    heading = got[1]
    assert heading.text == "At least two of the following: 1 of 3 met"
    assert (heading.current, heading.needed, heading.met) == ("1 of 3 met", "2 of 3", False)
    assert heading.fraction == (1.0 + 0.5) / 2  # the best two children


def test_top_level_any_is_a_heading():
    got = items({"any": [{"badge": "f"}, {"column": 1, "min_percent": 50}]}, earned={"f"})
    assert got[0].text == "Any one of the following: 1 of 2 met ✓"
    assert (got[0].depth, got[0].fraction, got[0].met) == (0, 1.0, True)
    assert [i.depth for i in got[1:]] == [1, 1]


def test_late_grades_are_flagged_and_not_met():
    doc = {"column": 1, "min_percent": 50, "earn_by": "2027-01-31T00:00:00Z"}
    late = Grade("1", 90, 100, datetime(2027, 2, 1, tzinfo=UTC))
    (item,) = items(doc, [late], now=datetime(2027, 2, 2, tzinfo=UTC))
    assert (item.met, item.late, item.current) == (False, True, "90 %")
    assert item.fraction < 1.0
    assert item.text == "Quiz 1: 90 % (needed 50 %; graded after the earn-by date)"
    on_time = Grade("1", 90, 100, datetime(2027, 1, 30, tzinfo=UTC))
    (item,) = items(doc, [on_time], now=datetime(2027, 2, 2, tzinfo=UTC) + timedelta(days=9))
    assert item.met and not item.late


def test_borderline_is_flagged():
    (item,) = items(
        {"column": 1, "min_percent": 80, "review_band_percent": 5}, [Grade("1", 77, 100, None)]
    )
    assert item.borderline and not item.met
    assert item.text == "Quiz 1: 77 % (needed 80 %; within the review band)"
