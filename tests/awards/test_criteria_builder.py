"""The badge page's criteria builder: conditions on columns picked by title, all / any / at
least N, prerequisites, a deadline and a review band, read back in words and previewed;
JSON stays as the advanced editor and round-trips with the builder, naming columns by title.

The form functions are pure (tested directly); the page goes through the launch token of a
sandbox course synced over real HTTP.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.course.rules import (
    Condition,
    RuleForm,
    form_of_criteria,
    rule_form,
)
from app.criteria import CriteriaError
from app.criteria.titles import name_column_titles, resolve_column_titles
from app.extensions import db
from app.grades.sync import sync_course
from app.openbadges.models import Badge
from tests.grades.support import new_badge, new_course, sandbox_scores


def test_the_form_says_what_the_instructor_typed_as_a_criteria_document():
    form = rule_form(
        {
            "column": ["a", "b", ""],
            "threshold": ["80", "7,5", ""],
            "unit": ["percent", "points", "percent"],
            "combine": ["at_least"],
            "at_least": ["1"],
            "prerequisite": ["intro"],
            "earn_by": ["2027-06-30"],
            "review_band": ["5"],
        }
    )
    assert form.as_criteria() == {
        "all": [
            {
                "at_least": 1,
                "of": [{"column": "a", "min_percent": 80.0}, {"column": "b", "min_points": 7.5}],
            },
            {"badge": "intro"},
        ],
        "earn_by": "2027-06-30",
        "review_band_percent": 5.0,
    }
    assert form_of_criteria(form.as_criteria()).as_criteria() == form.as_criteria()
    every = RuleForm((Condition("a", "80"), Condition("b", "60")), "all")
    assert every.as_criteria() == {
        "all": [{"column": "a", "min_percent": 80.0}, {"column": "b", "min_percent": 60.0}]
    }
    assert form_of_criteria(every.as_criteria()) == every
    assert form_of_criteria({"any": [{"all": [{"column": "a", "min_percent": 1}]}]}) is None


def test_rows_for_averages_sums_and_completions_round_trip():
    form = rule_form(
        {
            "row": ["average", "score", "sum", "completed", "completed"],
            "column": ["", "", "", "", ""],
            "threshold": ["70", "", "12,5", "", ""],
            "unit": ["percent", "percent", "points", "percent", "percent"],
            "columns-1": ["a", "b", "c"],
            "columns-3": ["a", "b"],
            "columns-4": ["done-1", "done-2"],
            "columns-5": ["course"],
            "combine": ["at_least"],
            "at_least": ["2"],
        }
    )
    doc = form.as_criteria()
    assert doc == {
        "at_least": 2,
        "of": [
            {"average": ["a", "b", "c"], "min_percent": 70.0},
            {"sum": ["a", "b"], "min_points": 12.5},
            {"completed": ["done-1", "done-2"]},
            {"completed": "course"},
        ],
    }
    back = form_of_criteria(doc)
    assert [c.kind for c in back.conditions] == ["average", "sum", "completed", "completed"]
    assert back.as_criteria() == doc
    # "Add" grows the form by an empty row of the chosen kind, kept until the rule is saved.
    grown = back.with_row("average")
    assert grown.conditions[-1] == Condition(kind="average")
    assert grown.as_criteria() == doc
    assert back.with_row("nonsense") == back
    total = back.with_row("score", "total-id").conditions[-1]
    assert total == Condition("total-id") and total.picked == ("total-id",)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            Condition("", "70", kind="average", columns=("a",)),
            "Tick at least two columns to average",
        ),
        (Condition("", "5", kind="sum", columns=("a",)), "Tick at least two columns to add up"),
        (Condition("", "120", kind="average", columns=("a", "b")), "at most 100 %"),
        (Condition("", "0", kind="sum", columns=("a", "b")), "above 0 points"),
        (Condition("", "", kind="average", columns=("a", "b")), "must be a number"),
    ],
)
def test_a_wrong_row_of_several_columns_is_explained(condition, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        RuleForm((condition,)).as_criteria()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (RuleForm(), "Choose the column the badge is earned in."),
        (
            RuleForm((Condition("a", "80"), Condition("b", "lots"))),
            "In the second condition: the score needed must be a number, such as 80.",
        ),
        (
            RuleForm((Condition("a", "80"), Condition("b", "60")), "at_least", "3"),
            "The number of conditions needed must be between 1 and 2.",
        ),
        (
            RuleForm((Condition("a", "80"),), earn_by="30/06/2027"),
            "The deadline must be a date, such as 2027-06-30.",
        ),
        (
            RuleForm((Condition("a", "80"),), review_band="-2"),
            "The review band must be between 0 and 100 percentage points.",
        ),
    ],
)
def test_a_wrong_form_is_explained_in_the_instructors_words(form, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        form.as_criteria()


def test_json_names_columns_by_title_where_the_title_is_unique():
    columns = [("id-1", "Quiz 1"), ("id-2", "Lab"), ("id-3", "Lab"), ("id-4", "Quiz 1 (completed)")]
    doc = {
        "all": [
            {"column": "quiz  1", "min_percent": 80},
            {"sum": ["id-3", "id-2"], "min_points": 5},
            {"completed": ["QUIZ 1 (completed)"]},
            {"completed": "nothing"},
        ]
    }
    assert resolve_column_titles(doc, columns) == {
        "all": [
            {"column": "id-1", "min_percent": 80},
            {"sum": ["id-3", "id-2"], "min_points": 5},
            {"completed": ["id-4"]},
            {"completed": "nothing"},  # unknown: left for the checker to report
        ]
    }
    with pytest.raises(CriteriaError) as info:
        resolve_column_titles({"any": [{"sum": ["Quiz 1", "lab"], "min_points": 5}]}, columns)
    assert info.value.path == "/any/0/sum/1"
    assert "2 columns of this course are titled 'lab'" in info.value.message
    assert "id-2, id-3" in info.value.message
    shown = name_column_titles({"column": "id-1", "min_percent": 80}, columns)
    assert shown == {"column": "Quiz 1", "min_percent": 80}
    assert name_column_titles({"column": "id-2", "min_points": 1}, columns)["column"] == "id-2"


@pytest.fixture
def course(app, registered, browser):
    """A sandbox course of 10 learners with two graded columns, synced once by the tool."""
    course = new_course(registered, browser, learners=10, columns=(("Essay", 100.0), ("Lab", 20.0)))
    sync_course(course.context.id)
    return course


def test_the_builder_previews_saves_and_reads_back_through_the_page(client, course):
    badge = new_badge(course.context, None, name="Writer", enabled=False)
    essay, lab = course.column("Essay"), course.column("Lab")
    page = f"/course/awards/badge/{badge.public_id}"
    fields = {
        "lt": course.token,
        "builder": "1",
        "column": [essay.public_id, lab.public_id],
        "threshold": ["60", "10"],
        "unit": ["percent", "points"],
        "combine": "any",
        "at_least": "1",
        "earn_by": "",
        "review_band": "",
    }

    preview = client.get(page, query_string=fields)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    essays = sandbox_scores(course.env, course.info.line_item_ids[0])
    labs = sandbox_scores(course.env, course.info.line_item_ids[1])
    qualifying = sum(essays[u] >= 60 or labs.get(u, 0) >= 10 for u in essays)
    assert f"{qualifying} qualify" in html
    assert (
        "This rule reads:" in html
        and "Either score at least 60 % in Essay or score at least 10 points in Lab." in html
    )
    db.session.expire_all()
    assert db.session.get(Badge, badge.id).criteria is None  # a preview saves nothing

    wrong = client.get(page, query_string={**fields, "threshold": ["60", "many"]})
    text = wrong.get_data(as_text=True)
    assert "Cannot preview: In the second condition: the score needed must be a number" in text
    assert "Not saved" not in text

    refused = client.post(f"{page}/rule", data={**fields, "threshold": ["60", "many"]})
    assert refused.status_code == 422
    assert "Not saved: In the second condition" in refused.get_data(as_text=True)
    assert 'value="many"' in refused.get_data(as_text=True)  # filled back as typed

    saved = client.post(f"{page}/rule", data=fields)
    assert saved.status_code == 303 and "note=criteria_saved" in saved.location
    db.session.expire_all()
    stored = db.session.scalar(select(Badge.criteria).where(Badge.id == badge.id))
    assert stored == {
        "any": [
            {"column": essay.public_id, "min_percent": 60},
            {"column": lab.public_id, "min_points": 10},
        ]
    }
    # The advanced editor shows the same rule with columns by title, and saving it back
    # from there keeps it unchanged.
    again = client.get(page, query_string={"lt": course.token}).get_data(as_text=True)
    textarea = re.search(r'<textarea id="criteria"[^>]*>(.*?)</textarea>', again, re.S)
    shown = json.loads(textarea.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert shown == {
        "any": [{"column": "Essay", "min_percent": 60}, {"column": "Lab", "min_points": 10}]
    }
    assert (
        client.post(
            f"{page}/criteria", data={"lt": course.token, "criteria": json.dumps(shown)}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.scalar(select(Badge.criteria).where(Badge.id == badge.id)) == stored
