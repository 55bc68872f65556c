"""Columns named by title in the REST API (criteria documents, pushed grade events) and in
the staff CSV import: a unique title works like the id (which keeps working); a title two
columns share is refused with a 422 (or a line of the import report) naming both ids."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.grades.models import Grade
from app.grades.sync import sync_course
from app.models import LtiUser, Membership
from tests.api.test_pipeline_api import create_key
from tests.grades.support import new_badge, new_course

NOW = datetime.now(UTC).replace(microsecond=0).isoformat()


@pytest.fixture
def course(app, registered, browser):
    """Columns "Exam", "Lab" and a second "lab" (same title, case aside)."""
    course = new_course(
        registered, browser, learners=4, columns=(("Exam", 100.0), ("Lab", 20.0), ("lab", 10.0))
    )
    sync_course(course.context.id)
    return course


@pytest.fixture
def headers(course):
    return {"Authorization": f"Bearer {create_key(course.context.registration_id)[1]}"}


def _learner(course) -> LtiUser:
    return db.session.scalars(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(Membership.context_id == course.context.id, Membership.is_staff.is_(False))
        .order_by(LtiUser.id)
    ).first()


def test_badge_criteria_name_columns_by_title_over_the_api(client, course, headers):
    exam = course.column("Exam").public_id
    new_badge(course.context, None, name="Issuer maker")
    base = {"context_id": course.context.public_id, "name": "Exam star", "description": "d"}
    created = client.post(
        "/api/v1/badges",
        headers=headers,
        json={**base, "criteria": {"column": "  EXAM ", "min_percent": 80}, "enabled": False},
    )
    assert created.status_code == 201, created.json
    assert created.json["criteria"] == {"column": exam, "min_percent": 80}
    by_id = client.patch(
        f"/api/v1/badges/{created.json['id']}",
        headers=headers,
        json={"criteria": {"average": [exam, "Exam"], "min_percent": 50}},
    )
    assert by_id.status_code == 422  # the same column twice, once by id and once by title
    assert "listed twice" in by_id.json["message"]

    ambiguous = client.patch(
        f"/api/v1/badges/{created.json['id']}",
        headers=headers,
        json={"criteria": {"all": [{"column": exam, "min_percent": 1}, {"sum": ["Exam", "Lab"],
                                                                         "min_points": 5}]}},
    )  # fmt: skip
    assert ambiguous.status_code == 422 and ambiguous.json["error"] == "invalid_criteria"
    message = ambiguous.json["message"]
    assert message.startswith("/all/1/sum/1: 2 columns of this course are titled 'Lab'")
    assert course.column("Lab").public_id in message and course.column("lab").public_id in message

    completion = client.patch(
        f"/api/v1/badges/{created.json['id']}",
        headers=headers,
        json={"criteria": {"completed": "Exam"}},
    )
    assert completion.status_code == 422
    assert "'Exam' holds scores, not a completion" in completion.json["message"]


def test_grade_events_name_columns_by_title(client, course, headers):
    learner = _learner(course)
    event = {
        "context_id": course.context.public_id,
        "user_sub": learner.sub,
        "score": 91,
        "timestamp": NOW,
    }
    ok = client.post("/api/v1/grade-events", headers=headers, json={**event, "column": "exam"})
    assert ok.status_code == 200, ok.json
    grade = db.session.scalars(
        select(Grade).where(
            Grade.column_id == course.column("Exam").id, Grade.user_id == learner.id
        )
    ).one()
    assert grade.score == 91
    by_id = {**event, "column": course.column("Exam").public_id, "score": 92}
    assert client.post("/api/v1/grade-events", headers=headers, json=by_id).status_code == 200

    ambiguous = client.post(
        "/api/v1/grade-events", headers=headers, json={"events": [{**event, "column": "LAB"}]}
    )
    assert ambiguous.status_code == 422 and ambiguous.json["error"] == "invalid_event"
    assert ambiguous.json["message"].startswith(
        "/events/0/column: 2 columns of this course are titled 'LAB'"
    )


def test_csv_import_names_columns_by_title(client, course):
    learner = _learner(course)
    csv = f"user,column,score\n{learner.sub},exam,77\n{learner.sub},Lab,5\n"
    answer = client.post(
        "/course/awards/import",
        data={"lt": course.token, "file": (io.BytesIO(csv.encode()), "grades.csv")},
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert "1 row accepted" in html
    assert "Line 3: column: 2 columns of this course are titled &#39;Lab&#39;" in html
