"""JSON from staff pages (designer bodies, the criteria form) nested 2,000 deep: refused with
the page's own message, never a 500 (RecursionError escapes ``except ValueError``)."""

from __future__ import annotations

from tests.factories import BadgeFactory, CourseFactory, PersonFactory, token_for

DEEP = '{"design": ' + "[" * 2000 + "]" * 2000 + "}"


def _staff(app):
    course = CourseFactory()
    teacher = PersonFactory(course=course, name="Teacher", email="t@example.edu", staff=True)
    return course, token_for(course, teacher, staff=True)


def test_designer_refuses_deep_json(app, client):
    _course, token = _staff(app)
    for path in ("/course/designer/preview", "/course/designer/save"):
        response = client.post(
            path,
            data=DEEP,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (path, response.status_code)
        assert "design" in response.get_json()["errors"]


def test_criteria_form_refuses_deep_json(app, client):
    course, token = _staff(app)
    badge = BadgeFactory(context=course, name="Deep")
    response = client.post(
        f"/course/awards/badge/{badge.public_id}/criteria",
        data={"criteria": "[" * 2000 + "]" * 2000, "lt": token},
    )
    assert response.status_code == 422  # the editor again, naming the problem
    assert "Not saved: JSON nests deeper than" in response.get_data(as_text=True)
    preview = client.get(
        f"/course/awards/badge/{badge.public_id}",
        query_string={"criteria": "[" * 2000 + "]" * 2000, "lt": token},
    )
    assert preview.status_code == 200
    assert "Cannot preview: JSON nests deeper than" in preview.get_data(as_text=True)
