"""describe(): the criteria text embedded in the badge."""

from __future__ import annotations

import pytest

from app.criteria import describe, parse_criteria

LABELS = {"1": "Quiz 1", "2": "Quiz 2", "3": "Quiz 3", "4": "Capstone"}
NAMES = {"f": "Foundations", "adv": "Advanced badge"}


def text(doc: dict, labels=LABELS, names=NAMES) -> str:
    return describe(parse_criteria(doc), labels, names)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"column": 3, "min_percent": 80}, "Score at least 80 % in Quiz 3."),
        ({"column": 3, "min_percent": 72.5}, "Score at least 72.5 % in Quiz 3."),
        ({"column": 3, "min_percent": 66.666}, "Score at least 66.67 % in Quiz 3."),
        ({"column": 1, "min_points": 7.5}, "Score at least 7.5 points in Quiz 1."),
        ({"column": 1, "min_points": 1}, "Score at least 1 point in Quiz 1."),
        ({"badge": "f"}, "Earn the Foundations badge."),
        ({"badge": "adv"}, "Earn the Advanced badge."),  # no "Advanced badge badge"
        ({"badge": 99}, "Earn badge 99."),  # unknown name: the id, never a crash
        ({"column": 99, "min_percent": 5}, "Score at least 5 % in column 99."),
        ({"average": [1, 2, 3], "min_percent": 70},
         "Average at least 70 % across Quiz 1, Quiz 2, and Quiz 3."),
        ({"average": [1], "min_percent": 70}, "Score at least 70 % in Quiz 1."),
        ({"sum": [1, 2], "min_points": 150},
         "Score a total of at least 150 points across Quiz 1 and Quiz 2."),
        ({"all": [{"column": 3, "min_percent": 80}, {"badge": "f"}], "earn_by": "2027-06-30"},
         "Score at least 80 % in Quiz 3 and earn the Foundations badge. Earn by 30 June 2027."),
        ({"any": [{"column": 1, "min_percent": 80}, {"column": 2, "min_percent": 80}]},
         "Either score at least 80 % in Quiz 1 or score at least 80 % in Quiz 2."),
        ({"any": [{"badge": "f"}, {"badge": "adv"}, {"badge": 9}]},
         "Earn the Foundations badge, earn the Advanced badge, or earn badge 9."),
        ({"at_least": 2, "of": [{"badge": 1}, {"badge": 2}, {"badge": 3}]},
         "At least two of the following: earn badge 1; earn badge 2; earn badge 3."),
        ({"at_least": 1, "of": [{"badge": 1}, {"badge": 2}, {"badge": 3}]},
         "Earn badge 1, earn badge 2, or earn badge 3."),
        ({"at_least": 3, "of": [{"badge": 1}, {"badge": 2}, {"badge": 3}]},
         "Earn badge 1, earn badge 2, and earn badge 3."),
        # nesting: flattened when it means the same, parenthesized when it does not
        ({"all": [{"badge": 1}, {"all": [{"badge": 2}, {"badge": 3}]}]},
         "Earn badge 1, earn badge 2, and earn badge 3."),
        ({"all": [{"any": [{"badge": 1}]}, {"badge": 2}]}, "Earn badge 1 and earn badge 2."),
        ({"any": [{"all": [{"badge": 1}, {"badge": 2}]}, {"badge": 3}]},
         "Either (earn badge 1 and earn badge 2) or earn badge 3."),
        ({"all": [{"column": 1, "min_percent": 80}, {"any": [{"badge": "f"}, {"badge": 2}]}]},
         "All of the following: score at least 80 % in Quiz 1; "
         "either earn the Foundations badge or earn badge 2."),
        ({"all": [{"badge": 0}, {"any": [{"badge": 1}, {"all": [{"badge": 2}, {"badge": 3}]}]}]},
         "All of the following: earn badge 0; "
         "either earn badge 1 or (earn badge 2 and earn badge 3)."),
        ({"any": [{"at_least": 2, "of": [{"badge": 1}, {"badge": 2}, {"badge": 3}]}, {"badge": 4}]},
         "Either (at least two of the following: earn badge 1; earn badge 2; earn badge 3) "
         "or earn badge 4."),
        ({"column": 1, "min_percent": 50, "earn_by": "2027-06-30T17:00:00+02:00"},
         "Score at least 50 % in Quiz 1. Earn by 30 June 2027 at 17:00 (UTC+02:00)."),
        ({"column": 1, "min_percent": 50, "earn_by": "2027-01-05T09:30:15Z"},
         "Score at least 50 % in Quiz 1. Earn by 5 January 2027 at 09:30:15 (UTC)."),
        ({"column": 1, "min_percent": 50, "earn_by": "2027-01-05T00:00:00-03:30"},
         "Score at least 50 % in Quiz 1. Earn by 5 January 2027 at 00:00 (UTC-03:30)."),
    ],
)  # fmt: skip
def test_describe(doc, expected):
    assert text(doc) == expected


def test_review_band_is_not_part_of_the_badge_text():
    assert text({"column": 3, "min_percent": 80, "review_band_percent": 5}) == (
        "Score at least 80 % in Quiz 3."
    )


def test_labels_are_optional():
    assert describe(parse_criteria({"column": 3, "min_percent": 80})) == (
        "Score at least 80 % in column 3."
    )
