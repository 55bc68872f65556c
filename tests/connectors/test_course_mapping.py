"""The LMS course id read from a launch's custom claim (pure): only a plain number under one
of the known names counts; an unsubstituted variable, an empty value or anything else is not
an id, so nothing is invented and the connector falls back to the LTI context id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.course.operations import COURSE_ID_PARAMETERS, lms_course_id

ids = st.integers(min_value=1, max_value=10**18).map(str)
names = st.sampled_from(COURSE_ID_PARAMETERS)


@given(name=names, value=ids)
def test_a_number_under_a_known_name_is_the_course_id(name, value):
    assert lms_course_id({name: value, "other": "x"}) == value


def _plain_number(value: str) -> bool:
    value = value.strip()
    return value.isascii() and value.isdigit()


@given(name=names, value=st.text(max_size=40).filter(lambda v: not _plain_number(v)))
def test_anything_but_a_number_is_not_an_id(name, value):
    assert lms_course_id({name: value}) is None


@given(custom=st.one_of(st.none(), st.text(), st.lists(st.text()), st.integers()))
def test_a_missing_or_malformed_claim_names_nothing(custom):
    assert lms_course_id(custom) is None


def test_canvas_wins_over_a_generic_name_and_unsubstituted_variables_are_skipped():
    assert lms_course_id({"canvas_course_id": "$Canvas.course.id", "course_id": "42"}) == "42"
    assert lms_course_id({"canvas_course_id": "7", "course_id": "42"}) == "7"
    assert lms_course_id({"course_id": "$Context.id"}) is None
    assert lms_course_id({"course_id": "\u0661\u0662"}) is None  # Arabic-Indic digits
