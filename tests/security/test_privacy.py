"""Privacy defaults: the learner's name is public only after they accept; public, signed
evidence of automatic awards says which criteria were met, not the scores (unless chosen)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.grades.sync import sync_course
from app.learner.tokens import make_accept_token
from app.models import LtiUser
from tests.api.test_pipeline_api import NOW, create_key
from tests.grades.support import new_badge, new_course, sandbox_scores


@pytest.fixture
def admin_headers(app):
    _key, secret = create_key(None)
    return {"Authorization": f"Bearer {secret}"}


def _award_by_api(client, headers) -> str:
    client.post(
        "/api/v1/issuers",
        headers=headers,
        json={"name": "Uni", "url": "https://uni.example", "email": "b@uni.example"},
    )
    badge = client.post(
        "/api/v1/badges",
        headers=headers,
        json={"name": "Teamwork", "description": "Works in teams"},
    ).json
    award = client.post(
        f"/api/v1/badges/{badge['id']}/assertions",
        headers=headers,
        json={"email": "ana@example.org", "name": "Ana Lovelace"},
    )
    return award.json["id"]


def test_the_name_is_public_only_once_the_learner_accepts(client, admin_headers):
    award_id = _award_by_api(client, admin_headers)
    assert "Ana Lovelace" not in client.get(f"/ob/verify/{award_id}").text
    token = make_accept_token(award_id)
    assert "once you accept" in client.get(f"/learner/accept/{token}").text
    client.post(f"/learner/accept/{token}", data={"action": "accept"})
    assert "Ana Lovelace" in client.get(f"/ob/verify/{award_id}").text


def test_an_institution_may_publish_names_from_the_start(app, client, admin_headers):
    app.config["PUBLIC_NAMES_BEFORE_ACCEPT"] = True
    try:
        award_id = _award_by_api(client, admin_headers)
        assert "Ana Lovelace" in client.get(f"/ob/verify/{award_id}").text
    finally:
        app.config["PUBLIC_NAMES_BEFORE_ACCEPT"] = False


@pytest.fixture
def course(app, registered, browser):
    course = new_course(registered, browser, learners=8)
    sync_course(course.context.id)
    return course


def _learners_below(course, percent: float) -> list[LtiUser]:
    scores = sandbox_scores(course.env, course.info.line_item_ids[0])
    subs = [sub for sub, score in scores.items() if score < percent]
    return list(db.session.scalars(select(LtiUser).where(LtiUser.sub.in_(subs))))


def _push_and_fetch_evidence(client, course, headers, badge_id, learner, score) -> str:
    answer = client.post(
        "/api/v1/grade-events",
        headers=headers,
        json={
            "context_id": course.context.public_id,
            "column": course.column("Exam").public_id,
            "user_sub": learner.sub,
            "score": score,
            "timestamp": NOW,
        },
    )
    assert answer.json["issued"] == 1, answer.json
    listed = client.get(
        f"/api/v1/assertions?badge_id={badge_id}&per_page=1000", headers=headers
    ).json
    mine = [a for a in listed if a["recipient_email"] == learner.email]
    document = json.loads(client.get(mine[0]["ob2_assertion_url"]).data)
    return " ".join(e.get("narrative", "") for e in document.get("evidence", []))


def test_public_evidence_names_the_criteria_met_not_the_scores(client, course):
    _key, secret = create_key(course.context.registration_id)
    headers = {"Authorization": f"Bearer {secret}"}
    made = new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 95})
    badge = client.get(f"/api/v1/badges/{made.public_id}", headers=headers).json
    assert badge["evidence_shows_scores"] is False
    first, second = _learners_below(course, 95)[:2]
    hidden = _push_and_fetch_evidence(client, course, headers, badge["id"], first, 97.0)
    assert "95 % or more reached" in hidden and "97" not in hidden
    client.patch(
        f"/api/v1/badges/{badge['id']}", headers=headers, json={"evidence_shows_scores": True}
    )
    shown = _push_and_fetch_evidence(client, course, headers, badge["id"], second, 98.0)
    assert "98 %" in shown
