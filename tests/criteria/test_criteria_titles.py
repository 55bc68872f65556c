"""Column titles in criteria documents (property tests): naming columns by title and
resolving them back gives the stored document, whatever the titles (shared ones stay ids)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.criteria import CriteriaError, criteria_to_json, parse_criteria
from app.criteria.titles import (
    AmbiguousTitle,
    column_for_title,
    name_column_titles,
    resolve_column_titles,
    title_key,
)
from tests.criteria.strategies import COLUMNS, criteria

titles = st.sampled_from(["Quiz 1", "quiz  1", "Lab", "Course total", "Essay (completed)", "É"])
course_columns = st.lists(titles, min_size=len(COLUMNS), max_size=len(COLUMNS)).map(
    lambda names: list(zip(COLUMNS, names, strict=True))
)


@given(criteria(), course_columns)
def test_titles_round_trip(c, columns):
    stored = criteria_to_json(c)
    shown = name_column_titles(stored, columns)
    assert resolve_column_titles(shown, columns) == stored
    assert parse_criteria(resolve_column_titles(shown, columns)) == c


@given(course_columns, titles)
def test_a_title_names_one_column_or_is_refused(columns, title):
    holders = [i for i, t in columns if title_key(t) == title_key(title)]
    if len(holders) > 1:
        with pytest.raises(AmbiguousTitle) as info:
            column_for_title(title, columns)
        assert all(i in str(info.value) for i in holders)
    else:
        assert column_for_title(title, columns) == (holders[0] if holders else None)


def test_an_ambiguous_title_in_a_document_is_an_error_at_its_place():
    columns = [("1", "Lab"), ("2", "LAB ")]
    with pytest.raises(CriteriaError) as info:
        resolve_column_titles({"all": [{"completed": ["x", "lab"]}]}, columns)
    assert info.value.path == "/all/0/completed/1"
