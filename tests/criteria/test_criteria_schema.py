"""parse_criteria / criteria_to_json: accepted documents, precise errors, canonical form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.criteria import (
    MAX_DEPTH,
    MAX_NODES,
    AllNode,
    AnyNode,
    AtLeastNode,
    AverageNode,
    BadgeNode,
    ColumnNode,
    Criteria,
    CriteriaError,
    SumNode,
    criteria_to_json,
    parse_criteria,
    referenced_badges,
    referenced_columns,
)

# --- accepted documents -----------------------------------------------------------------------


def test_every_node_type_parses():
    doc = {
        "all": [
            {"column": 12, "min_percent": 80},
            {"column": "lab-1", "min_points": 7.5},
            {"badge": 3},
            {"any": [{"badge": "foundations"}, {"average": [1, "2"], "min_percent": 70}]},
            {"at_least": 2, "of": [{"column": 1, "min_percent": 50},
                                   {"sum": [1, 2], "min_points": 30},
                                   {"column": 2, "min_percent": 50}]},
        ],
        "earn_by": "2027-06-30",
        "review_band_percent": 5,
    }  # fmt: skip
    parsed = parse_criteria(doc)
    assert parsed == Criteria(
        AllNode(
            (
                ColumnNode("12", "percent", 80.0),
                ColumnNode("lab-1", "points", 7.5),
                BadgeNode("3"),
                AnyNode((BadgeNode("foundations"), AverageNode(("1", "2"), 70.0))),
                AtLeastNode(
                    2,
                    (
                        ColumnNode("1", "percent", 50.0),
                        SumNode(("1", "2"), 30.0),
                        ColumnNode("2", "percent", 50.0),
                    ),
                ),
            )
        ),
        earn_by=date(2027, 6, 30),
        review_band_percent=5.0,
    )


def test_ids_normalize_to_strings():
    """12 and "12" are the same column: the API may send either."""
    assert parse_criteria({"column": 12, "min_percent": 1}) == parse_criteria(
        {"column": "12", "min_percent": 1}
    )
    assert parse_criteria({"average": [1, "x"], "min_percent": 5}).root.columns == ("1", "x")


def test_top_level_leaf_and_boundaries_are_valid():
    assert parse_criteria({"column": 1, "min_percent": 0}).root.threshold == 0
    assert parse_criteria({"column": 1, "min_percent": 100}).root.threshold == 100
    assert parse_criteria({"column": 1, "min_points": 0}).root.threshold == 0
    assert parse_criteria({"column": 1, "min_points": 1e6}).root.threshold == 1e6
    assert parse_criteria({"at_least": 2, "of": [{"badge": 1}, {"badge": 2}]}).root.k == 2
    assert parse_criteria({"badge": 1, "review_band_percent": 0}).review_band_percent == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-06-30", date(2027, 6, 30)),
        ("2027-06-30T17:00:00+02:00", datetime(2027, 6, 30, 15, 0, tzinfo=UTC)),
        ("2027-06-30T17:00:00Z", datetime(2027, 6, 30, 17, 0, tzinfo=UTC)),
        ("2027-06-30T17:00Z", datetime(2027, 6, 30, 17, 0, tzinfo=UTC)),
    ],
)
def test_earn_by_accepts_dates_and_aware_datetimes(text, expected):
    earn_by = parse_criteria({"badge": 1, "earn_by": text}).earn_by
    assert earn_by == expected
    assert type(earn_by) is type(expected)


def test_date_deadline_is_end_of_day_anywhere_on_earth():
    c = parse_criteria({"badge": 1, "earn_by": "2027-06-30"})
    assert c.deadline == datetime(2027, 7, 1, 11, 59, 59, 999999, tzinfo=UTC)
    exact = parse_criteria({"badge": 1, "earn_by": "2027-06-30T17:00:00+02:00"})
    assert exact.deadline == datetime(2027, 6, 30, 15, 0, tzinfo=UTC)
    assert parse_criteria({"badge": 1}).deadline is None


# --- errors -------------------------------------------------------------------------------------

OK_LEAF = {"column": 1, "min_percent": 50}


@pytest.mark.parametrize(
    ("doc", "path", "fragment"),
    [
        # non-object documents and nodes
        ([], "", "must be a JSON object, not a list"),
        ("{}", "", "must be a JSON object, not a string"),
        (None, "", "not null"),
        ({}, "", "needs one of column, badge, all, any, at_least, average, sum, completed"),
        ({"all": [OK_LEAF, 3]}, "/all/1", "must be an object, not a number"),
        # unknown and misplaced keys
        ({"column": 1, "min_precent": 80}, "/min_precent", "unknown key"),
        ({"all": [OK_LEAF, {"column": 1, "min_percent": 5, "x": 1}]}, "/all/1/x", "unknown key"),
        ({"all": [{**OK_LEAF, "earn_by": "2027-01-01"}]}, "/all/0/earn_by", "top level"),
        ({"all": [{**OK_LEAF, "review_band_percent": 1}]}, "/all/0/review_band_percent",
         "top level"),
        ({"column": 1, "badge": 2}, "", "has both 'column' and 'badge'"),
        ({"column": 1, "min_percent": 5, "of": []}, "/of", "only used together with 'at_least'"),
        ({"of": [OK_LEAF]}, "/of", "only used together with 'at_least'"),
        ({"badge": 1, "min_percent": 5}, "/min_percent", "not allowed together with 'badge'"),
        ({"average": [1], "min_points": 5}, "/min_points", "use 'min_percent'"),
        ({"sum": [1], "min_percent": 5}, "/min_percent", "use 'min_points'"),
        ({"all": [OK_LEAF], "min_percent": 5}, "/min_percent", "not allowed together with 'all'"),
        # thresholds
        ({"column": 1, "min_percent": 5, "min_points": 5}, "", "either 'min_percent' or"),
        ({"column": 1}, "", "needs a threshold"),
        ({"average": [1]}, "", "'average' needs 'min_percent'"),
        ({"sum": [1]}, "", "'sum' needs 'min_points'"),
        ({"all": [OK_LEAF, OK_LEAF, {"column": 1, "min_percent": 101}]}, "/all/2/min_percent",
         "must be between 0 and 100"),
        ({"column": 1, "min_percent": -1}, "/min_percent", "must be between 0 and 100"),
        ({"column": 1, "min_points": -0.5}, "/min_points", "must not be negative"),
        ({"column": 1, "min_points": "5"}, "/min_points", "must be a number, not a string"),
        ({"column": 1, "min_points": True}, "/min_points", "must be a number, not a boolean"),
        ({"column": 1, "min_points": float("nan")}, "/min_points", "finite"),
        ({"column": 1, "min_points": float("inf")}, "/min_points", "finite"),
        ({"column": 1, "min_points": 10**400}, "/min_points", "finite"),
        ({"average": [1, 2], "min_percent": 100.5}, "/min_percent", "between 0 and 100"),
        ({"sum": [1, 2], "min_points": -3}, "/min_points", "must not be negative"),
        # ids
        ({"column": None, "min_percent": 5}, "/column", "must be an id"),
        ({"column": 1.5, "min_percent": 5}, "/column", "must be an id"),
        ({"column": True, "min_percent": 5}, "/column", "must be an id"),
        ({"column": "  ", "min_percent": 5}, "/column", "must not be empty"),
        ({"column": "x" * 256, "min_percent": 5}, "/column", "longer than 255"),
        ({"badge": {}}, "/badge", "must be an id"),
        ({"average": [1, 2, 1], "min_percent": 5}, "/average/2", "listed twice"),
        ({"sum": [1, "1"], "min_points": 5}, "/sum/1", "listed twice"),
        # lists
        ({"all": []}, "/all", "must not be empty"),
        ({"any": []}, "/any", "must not be empty"),
        ({"average": [], "min_percent": 5}, "/average", "must not be empty"),
        ({"sum": [], "min_points": 5}, "/sum", "must not be empty"),
        ({"all": OK_LEAF}, "/all", "must be a list, not an object"),
        ({"sum": 3, "min_points": 5}, "/sum", "must be a list"),
        # at_least
        ({"at_least": 0, "of": [OK_LEAF]}, "/at_least", "must be at least 1"),
        ({"at_least": -1, "of": [OK_LEAF]}, "/at_least", "must be at least 1"),
        ({"at_least": 3, "of": [OK_LEAF, OK_LEAF]}, "/at_least", "is 3 but 'of' has only 2"),
        ({"at_least": 2, "of": [OK_LEAF]}, "/at_least", "only 1 criterion"),
        ({"at_least": 1.5, "of": [OK_LEAF]}, "/at_least", "whole number"),
        ({"at_least": True, "of": [OK_LEAF]}, "/at_least", "whole number"),
        ({"at_least": 1}, "", "'at_least' needs 'of'"),
        ({"at_least": 1, "of": []}, "/of", "must not be empty"),
        ({"any": [{"at_least": 1, "of": [{}]}]}, "/any/0/of/0", "needs one of"),
        # dates and band
        ({"badge": 1, "earn_by": "2027-02-30"}, "/earn_by", "not a valid date"),
        ({"badge": 1, "earn_by": "30/06/2027"}, "/earn_by", "not a date (YYYY-MM-DD)"),
        ({"badge": 1, "earn_by": "tomorrow"}, "/earn_by", "not a date"),
        ({"badge": 1, "earn_by": "2027-06-30T17:00:00"}, "/earn_by", "needs a UTC offset"),
        ({"badge": 1, "earn_by": 20270630}, "/earn_by", "must be a date string"),
        ({"badge": 1, "earn_by": None}, "/earn_by", "must be a date string"),
        ({"badge": 1, "review_band_percent": -1}, "/review_band_percent", "between 0 and 100"),
        ({"badge": 1, "review_band_percent": 101}, "/review_band_percent", "between 0 and 100"),
        ({"badge": 1, "review_band_percent": "5"}, "/review_band_percent", "must be a number"),
    ],
)  # fmt: skip
def test_errors_name_the_offending_part(doc, path, fragment):
    with pytest.raises(CriteriaError) as info:
        parse_criteria(doc)
    assert info.value.path == path
    assert fragment in info.value.message
    # str() is what the API puts in the 422 body: path first, "/" for the whole document.
    assert str(info.value) == f"{path or '/'}: {info.value.message}"


def test_error_message_format_matches_the_api_contract():
    doc = {"all": [OK_LEAF, OK_LEAF, {"column": 1, "min_percent": 150}]}
    with pytest.raises(CriteriaError, match=r"^/all/2/min_percent: must be between 0 and 100$"):
        parse_criteria(doc)


def test_criteria_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_criteria({})


def test_keys_with_slashes_are_escaped_as_json_pointer():
    with pytest.raises(CriteriaError) as info:
        parse_criteria({"all": [{"column": 1, "min_percent": 5, "a/b~c": 1}]})
    assert info.value.path == "/all/0/a~1b~0c"


def _nest(depth: int) -> dict:
    doc: dict = OK_LEAF
    for _ in range(depth - 1):
        doc = {"all": [doc]}
    return doc


def test_nesting_limit():
    parse_criteria(_nest(MAX_DEPTH))  # exactly at the limit is fine
    with pytest.raises(CriteriaError, match="deeper than"):
        parse_criteria(_nest(MAX_DEPTH + 1))
    # A hostile document far deeper than Python's recursion limit fails cleanly too.
    with pytest.raises(CriteriaError, match="deeper than"):
        parse_criteria(_nest(5000))


def test_node_count_limit():
    wide = {"any": [{"all": [OK_LEAF] * 400} for _ in range(3)]}
    with pytest.raises(CriteriaError, match=f"limit {MAX_NODES}"):
        parse_criteria(wide)


def test_list_length_limit():
    with pytest.raises(CriteriaError, match="limit 500"):
        parse_criteria({"average": list(range(501)), "min_percent": 5})


def test_same_bad_document_same_error():
    """The first error in document order, deterministically (unknown keys sorted)."""
    doc = {"all": [{"column": 1, "zz": 1, "aa": 2, "min_percent": 5}]}
    errors = set()
    for _ in range(5):
        with pytest.raises(CriteriaError) as info:
            parse_criteria(doc)
        errors.add(str(info.value))
    assert errors == {"/all/0/aa: unknown key (a criterion is one of column, badge, all, any, "
                      "at_least, average, sum, completed)"}  # fmt: skip


# --- canonical JSON ---------------------------------------------------------------------------


def test_canonical_json():
    doc = {
        "review_band_percent": 2.5,
        "earn_by": "2027-06-30T17:00:00+02:00",
        "any": [{"column": 12, "min_percent": 80.0}, {"sum": [1, 2], "min_points": 7.25}],
    }
    canonical = criteria_to_json(parse_criteria(doc))
    assert canonical == {
        "any": [{"column": "12", "min_percent": 80}, {"sum": ["1", "2"], "min_points": 7.25}],
        "earn_by": "2027-06-30T17:00:00+02:00",
        "review_band_percent": 2.5,
    }
    assert isinstance(canonical["any"][0]["min_percent"], int)
    # JSON-serializable, and stable through a JSON round trip.
    again = parse_criteria(json.loads(json.dumps(canonical)))
    assert criteria_to_json(again) == canonical


def test_canonical_json_omits_defaults():
    assert criteria_to_json(parse_criteria({"badge": 1, "review_band_percent": 0})) == {
        "badge": "1"
    }


def test_round_trip_keeps_the_offset_of_an_exact_deadline():
    tz = timezone(timedelta(hours=-5))
    c = Criteria(BadgeNode("1"), earn_by=datetime(2027, 6, 30, 9, 30, tzinfo=tz))
    assert criteria_to_json(c)["earn_by"] == "2027-06-30T09:30:00-05:00"
    assert parse_criteria(criteria_to_json(c)) == c


# --- inspection -------------------------------------------------------------------------------


def test_referenced_columns_and_badges():
    c = parse_criteria(
        {
            "all": [
                {"column": 1, "min_percent": 5},
                {"any": [{"badge": 7}, {"average": [2, 3], "min_percent": 5}]},
                {"at_least": 1, "of": [{"sum": [3, 4], "min_points": 1}, {"badge": "x"}]},
            ]
        }
    )
    assert referenced_columns(c) == {"1", "2", "3", "4"}
    assert referenced_badges(c) == {"7", "x"}
    assert referenced_columns(c.root) == referenced_columns(c)
    assert referenced_badges(parse_criteria(OK_LEAF)) == frozenset()


def test_parsed_criteria_are_hashable_and_immutable():
    c = parse_criteria({"all": [OK_LEAF, {"badge": 1}]})
    assert {c: 1}[parse_criteria({"all": [OK_LEAF, {"badge": "1"}]})] == 1
    with pytest.raises(AttributeError):
        c.review_band_percent = 3  # type: ignore[misc]
