"""Completion conditions: ``{"completed": ...}`` in the schema, the evaluator, the wording
and the learner's progress; "course total at least N %" as a threshold on the course total
column, worded as such."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.criteria import (
    CompletedNode,
    Criteria,
    CriteriaError,
    Grade,
    completion_columns,
    criteria_to_json,
    describe,
    evaluate,
    met_text,
    parse_criteria,
    progress,
    referenced_columns,
)
from tests.criteria.strategies import COLUMNS, criteria, nows, wild_grades

NOW = datetime(2027, 3, 1, tzinfo=UTC)
LABELS = {
    "q1": "Quiz 1 (completed)",
    "q2": "Quiz 2 (completed)",
    "lab": "Lab (completed)",
    "wk1": "Week 1",
    "course": "Course completion",
    "total": "Course total",
    "essay": "Essay",
}
KINDS = {
    "q1": "activity_completion",
    "q2": "activity_completion",
    "lab": "activity_completion",
    "wk1": "module_completion",
    "course": "course_completion",
    "total": "course_total",
    "essay": "score",
}


def done(column: str, score: float = 100.0) -> Grade:
    return Grade(column, score, 100.0, NOW)


# --- schema -----------------------------------------------------------------------------------


def test_one_column_or_a_list_and_back():
    assert parse_criteria({"completed": "q1"}).root == CompletedNode(("q1",))
    assert parse_criteria({"completed": ["q1", "q2"]}).root == CompletedNode(("q1", "q2"))
    assert criteria_to_json(parse_criteria({"completed": ["q1"]})) == {"completed": "q1"}
    assert criteria_to_json(parse_criteria({"completed": 7})) == {"completed": "7"}
    assert referenced_columns(parse_criteria({"completed": ["q1", "q2"]})) == {"q1", "q2"}
    doc = {"all": [{"completed": "q1"}, {"column": "total", "min_percent": 60}]}
    assert completion_columns(parse_criteria(doc)) == {"q1"}


@pytest.mark.parametrize(
    ("doc", "path", "fragment"),
    [
        ({"completed": "q1", "min_percent": 100}, "/min_percent", "takes no score"),
        ({"completed": []}, "/completed", "must not be empty"),
        ({"completed": ["q1", "q1"]}, "/completed/1", "listed twice"),
        ({"completed": True}, "/completed", "must be an id"),
        ({"any": [{"completed": {}}]}, "/any/0/completed", "must be an id"),
    ],
)
def test_bad_completions_name_the_part(doc, path, fragment):
    with pytest.raises(CriteriaError) as info:
        parse_criteria(doc)
    assert info.value.path == path
    assert fragment in info.value.message


# --- evaluation (properties) --------------------------------------------------------------------

completion_grades = st.dictionaries(
    st.sampled_from(COLUMNS),
    st.builds(
        lambda s, m: Grade("", s, m, None),
        st.one_of(st.none(), st.sampled_from([0.0, 50.0, 99.999, 100.0, 150.0]), st.floats()),
        st.one_of(st.none(), st.sampled_from([0.0, 100.0, 10.0]), st.floats()),
    ),
)


def _complete(grade: Grade | None) -> bool:
    """The rule, written independently: 100 of 100 (or its maximum), finite numbers only."""
    if grade is None or grade.score is None or grade.score != grade.score:
        return False
    if grade.score in (float("inf"), float("-inf")):
        return False
    maximum = grade.maximum
    usable = maximum is not None and maximum == maximum and 0 < maximum < float("inf")
    return grade.score >= (maximum if usable else 100.0) * (1 - 1e-9)


@given(st.lists(st.sampled_from(COLUMNS), min_size=1, unique=True), completion_grades)
def test_completed_means_every_column_complete(columns, grades):
    decision = evaluate(Criteria(CompletedNode(tuple(columns))), grades, (), NOW)
    assert decision.met == all(_complete(grades.get(c)) for c in columns)
    (evidence,) = decision.evidence
    assert set(evidence.missing) == {c for c in columns if not _complete(grades.get(c))}
    assert evidence.score == len(columns) - len(evidence.missing)


@given(st.data(), criteria(), wild_grades(), nows)
def test_completing_something_never_lowers_the_outcome(data, c, grades, now):
    order = {"not_met": 0, "expired": 0, "review": 1, "award": 2}
    before = evaluate(c, grades, (), now)
    column = data.draw(st.sampled_from(COLUMNS))
    if column in grades or column not in completion_columns(c):
        return  # only a fresh completion with no other reading of the column is monotone
    if column in referenced_columns(c) - completion_columns(c):
        return
    after = evaluate(c, {**grades, column: Grade(column, 100.0, 100.0, None)}, (), now)
    if before.outcome != "expired":
        assert order[after.outcome] >= order[before.outcome]


@given(criteria(), wild_grades(), nows)
def test_every_completion_appears_in_progress_and_words(c, grades, now):
    items = progress(c, grades, (), now, LABELS, {}, KINDS)
    completed = [i for i in items if i.kind == "completed"]
    nodes = [n for n in _leaves(c.root) if isinstance(n, CompletedNode)]
    assert len(completed) == len(nodes)
    for item in completed:
        assert (item.fraction == 1.0) == item.met
    text = describe(c, LABELS, {}, KINDS)
    assert text.lower().count("complete ") >= len(nodes)


def _leaves(node):
    from app.criteria.schema import iter_nodes

    return list(iter_nodes(node))


def test_a_late_completion_after_the_earn_by_date_is_expired():
    c = parse_criteria({"completed": "q1", "earn_by": "2027-01-31"})
    late = {"q1": Grade("q1", 100.0, 100.0, datetime(2027, 2, 10, tzinfo=UTC))}
    decision = evaluate(c, late, (), NOW)
    assert decision.outcome == "expired"
    in_time = {"q1": Grade("q1", 100.0, 100.0, datetime(2027, 1, 10, tzinfo=UTC))}
    assert evaluate(c, in_time, (), NOW).outcome == "award"


# --- wording --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "text"),
    [
        ({"completed": "q1"}, "Complete Quiz 1."),
        ({"completed": "course"}, "Complete the course."),
        ({"completed": "wk1"}, "Complete Week 1."),
        ({"completed": ["q1", "q2", "lab"]}, "Complete Quiz 1, Quiz 2, and Lab."),
        ({"column": "total", "min_percent": 60}, "Reach a course total of at least 60 %."),
        (
            {"all": [{"completed": ["q1", "course"]}, {"column": "total", "min_percent": 75}]},
            "Complete Quiz 1 and the course and reach a course total of at least 75 %.",
        ),
        (
            {"any": [{"completed": "q1"}, {"column": "essay", "min_percent": 80}]},
            "Either complete Quiz 1 or score at least 80 % in Essay.",
        ),
        (
            {"at_least": 2, "of": [{"completed": "q1"}, {"completed": "q2"}, {"completed": "lab"}]},
            "At least two of the following: complete Quiz 1; complete Quiz 2; complete Lab.",
        ),
        (
            {"completed": "course", "earn_by": "2027-06-30"},
            "Complete the course. Earn by 30 June 2027.",
        ),
    ],
)
def test_completion_wording(doc, text):
    assert describe(parse_criteria(doc), LABELS, {}, KINDS) == text


def test_without_kinds_the_labels_still_read():
    assert describe(parse_criteria({"completed": "q1"}), LABELS) == "Complete Quiz 1."
    assert describe(parse_criteria({"completed": "x"})) == "Complete column x."


def test_progress_counts_activities():
    c = parse_criteria({"completed": ["q1", "q2", "lab"]})
    (item,) = progress(c, {"q1": done("q1"), "q2": done("q2"), "lab": done("lab", 0)}, (), NOW,
                       LABELS, {}, KINDS)  # fmt: skip
    assert item.current == "2 of 3 activities completed"
    assert item.needed == "all 3 completed"
    assert item.text == "Quiz 1, Quiz 2, and Lab: 2 of 3 activities completed (not yet: Lab)"
    assert item.fraction == pytest.approx(2 / 3)
    assert not item.met


def test_progress_of_one_completion_and_the_course():
    c = parse_criteria({"all": [{"completed": "q1"}, {"completed": "course"}]})
    items = progress(c, {"q1": done("q1")}, (), NOW, LABELS, {}, KINDS)
    assert [i.text for i in items] == ["Quiz 1: completed ✓", "The course: not completed yet"]


def test_public_evidence_of_a_completion_names_no_numbers():
    decision = evaluate(parse_criteria({"completed": ["q1", "course"]}),
                        {"q1": done("q1"), "course": done("course")}, (), NOW)  # fmt: skip
    (evidence,) = decision.evidence
    assert met_text(evidence, LABELS, {}, KINDS) == "Quiz 1 and the course: completed"
