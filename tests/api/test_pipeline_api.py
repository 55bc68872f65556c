"""The pipeline's API: courses, columns, syncs and jobs, badges with criteria and preview,
pushed grade events (API key or HMAC): replayed and concurrent events issue once."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from app.awards.models import OutboxMessage
from app.extensions import db
from app.grades.pushed import event_secret
from app.grades.sync import sync_course
from app.models import LtiUser, Registration
from tests.grades.support import live_assertions, new_badge, new_course, sandbox_scores


@pytest.fixture
def course(app, registered, browser):
    course = new_course(registered, browser, learners=12)
    sync_course(course.context.id)
    return course


def create_key(registration_id):
    from app.api.auth import create_key as create  # app.api.auth cannot be imported first

    return create(registration_id)


@pytest.fixture
def headers(course):
    _key, secret = create_key(course.context.registration_id)
    return {"Authorization": f"Bearer {secret}"}


def _low_learner(course) -> LtiUser:
    scores = sandbox_scores(course.env, course.info.line_item_ids[0])
    sub = min(scores, key=scores.get)
    assert scores[sub] < 80
    return db.session.scalars(select(LtiUser).where(LtiUser.sub == sub)).one()


NOW = datetime.now(UTC).replace(microsecond=0).isoformat()  # newer than any seeded grade


def _event(course, learner, score=95.0) -> dict:
    return {
        "context_id": course.context.public_id,
        "column": course.column("Exam").public_id,
        "user_sub": learner.sub,
        "score": score,
        "timestamp": NOW,
    }


def test_courses_columns_sync_and_jobs(client, course, headers):
    contexts = client.get("/api/v1/contexts", headers=headers).json
    assert [c["id"] for c in contexts] == [course.context.public_id]
    assert {"id", "lti_context_id", "title", "registration_id", "deployment_id"} <= set(contexts[0])
    columns = client.get(
        f"/api/v1/contexts/{course.context.public_id}/columns", headers=headers
    ).json
    assert [c["label"] for c in columns] == ["Exam"]
    assert {"id", "label", "score_maximum", "lti_lineitem_id"} <= set(columns[0])
    started = client.post(f"/api/v1/contexts/{course.context.public_id}/sync", headers=headers)
    assert started.status_code == 202
    job = client.get(f"/api/v1/jobs/{started.json['job_id']}", headers=headers).json
    assert job["state"] == "done" and job["kind"] == "sync"  # immediate queue in tests
    other_key = create_key(None)[1]
    assert (
        client.get(
            f"/api/v1/jobs/{job['id']}", headers={"Authorization": f"Bearer {other_key}"}
        ).status_code
        == 200
    )
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {
        "/contexts",
        "/contexts/{id}/sync",
        "/jobs/{id}",
        "/contexts/{id}/columns",
        "/grade-events",
        "/badges/{id}/preview",
    } <= set(paths)


def test_badge_criteria_are_checked_and_enabling_awards_retroactively(client, course, headers):
    exam = course.column("Exam").public_id
    new_badge(course.context, None, name="Issuer maker")  # makes the registration's issuer
    base = {
        "context_id": course.context.public_id,
        "name": "Exam star",
        "description": "Did well in the exam",
    }
    typo = client.post(
        "/api/v1/badges",
        headers=headers,
        json={**base, "criteria": {"all": [{"column": exam, "min_precent": 80}]}},
    )
    assert typo.status_code == 422 and typo.json["error"] == "invalid_criteria"
    assert typo.json["message"].startswith("/all/0/min_precent")
    unknown = client.post(
        "/api/v1/badges",
        headers=headers,
        json={**base, "criteria": {"any": [{"column": "nope", "min_percent": 80}]}},
    )
    assert unknown.status_code == 422 and unknown.json["message"].startswith("/any/0/column")

    created = client.post(
        "/api/v1/badges",
        headers=headers,
        json={**base, "criteria": {"column": exam, "min_percent": 80}, "enabled": False},
    )
    assert created.status_code == 201, created.json
    badge_id = created.json["id"]
    preview = client.get(f"/api/v1/badges/{badge_id}/preview", headers=headers).json
    scores = sandbox_scores(course.env, course.info.line_item_ids[0])
    assert len(preview["qualifies"]) == sum(s >= 80 for s in scores.values())
    assert preview["awarded"] == 0
    enabled = client.patch(f"/api/v1/badges/{badge_id}", headers=headers, json={"enabled": True})
    assert enabled.status_code == 200
    listed = client.get(f"/api/v1/assertions?badge_id={badge_id}", headers=headers).json
    assert len(listed) == len(preview["qualifies"])
    revoked = client.post(
        f"/api/v1/assertions/{listed[0]['id']}/revoke", headers=headers, json={"reason": "mistake"}
    )
    assert revoked.json["revoked"] is True


def test_replayed_event_issues_once(client, course, headers):
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 80}
    )
    learner = _low_learner(course)
    before = len(live_assertions(badge))
    answers = [
        client.post("/api/v1/grade-events", headers=headers, json=_event(course, learner)).json
        for _ in range(10)
    ]
    assert answers[0] == {"received": 1, "changed": 1, "issued": 1, "review": 0}
    assert all(a == {"received": 1, "changed": 0, "issued": 0, "review": 0} for a in answers[1:])
    assert len(live_assertions(badge)) == before + 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.assertion_id.in_([a.id for a in live_assertions(badge)]))
        )
        == before + 1
    )


def test_fifty_concurrent_identical_events_issue_once(course, registered, headers):
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 80}
    )
    learner = _low_learner(course)
    before = len(live_assertions(badge))
    url = f"{registered.tool_url}/api/v1/grade-events"
    body = _event(course, learner)

    def send(_i: int) -> int:
        return requests.post(url, json=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(send, range(50)))
    assert codes == [200] * 50
    db.session.rollback()  # a fresh snapshot: the server committed meanwhile
    holders = [a for a in live_assertions(badge) if a.lti_user_id == learner.id]
    assert len(holders) == 1 and len(live_assertions(badge)) == before + 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.assertion_id == holders[0].id)
        )
        == 1
    )


def _signed(secret: str, body: bytes, stamp: int | None = None) -> str:
    stamp = int(time.time()) if stamp is None else stamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def test_hmac_signed_events(client, course):
    new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 80})
    registration = db.session.get(Registration, course.context.registration_id)
    secret = event_secret(registration.id)
    learner = _low_learner(course)
    body = json.dumps({"events": [_event(course, learner)]}).encode()
    base = {"Content-Type": "application/json", "Badgebridge-Registration": registration.public_id}
    ok = client.post(
        "/api/v1/grade-events",
        data=body,
        headers={**base, "Badgebridge-Signature": _signed(secret, body)},
    )
    assert ok.status_code == 200 and ok.json["issued"] == 1
    forged = client.post(
        "/api/v1/grade-events",
        data=body,
        headers={**base, "Badgebridge-Signature": _signed("wrong", body)},
    )
    assert forged.status_code == 401
    old = client.post(
        "/api/v1/grade-events",
        data=body,
        headers={**base, "Badgebridge-Signature": _signed(secret, body, int(time.time()) - 3600)},
    )
    assert old.status_code == 401
    bad = json.dumps({"events": [{**_event(course, learner), "score": "lots"}]}).encode()
    refused = client.post(
        "/api/v1/grade-events",
        data=bad,
        headers={**base, "Badgebridge-Signature": _signed(secret, bad)},
    )
    assert refused.status_code == 422 and refused.json["field"] == "/events/0/score"
    assert client.post("/api/v1/grade-events", json={"events": []}).status_code == 401


def test_admin_key_makes_course_badges_with_the_courses_issuer(client, course):
    issuer = new_badge(course.context, None, name="Issuer maker").issuer  # the institution's
    _key, secret = create_key(None)  # an admin key: no registration of its own
    created = client.post(
        "/api/v1/badges",
        headers={"Authorization": f"Bearer {secret}"},
        json={
            "context_id": course.context.public_id,
            "name": "Admin made",
            "description": "Made with an admin key",
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["issuer_id"] == issuer.public_id


def test_criteria_text_is_generated_and_embedded_in_the_badge(client, course, headers):
    from app.criteria import describe, parse_criteria

    new_badge(course.context, None, name="Issuer maker")
    exam = course.column("Exam")
    criteria = {"column": exam.public_id, "min_percent": 80}
    created = client.post(
        "/api/v1/badges",
        headers=headers,
        json={
            "context_id": course.context.public_id,
            "name": "Exam star",
            "description": "Did well",
            "criteria": criteria,
            "enabled": False,
        },
    )
    assert created.status_code == 201, created.json
    expected = describe(parse_criteria(criteria), {exam.public_id: exam.label}, {})
    assert "80 %" in expected and exam.label in expected
    assert created.json["criteria_narrative"] == expected
    hosted = client.get(
        f"/ob/v2/badges/{created.json['id']}", headers={"Accept": "application/ld+json"}
    )
    assert hosted.json["criteria"]["narrative"] == expected


def test_a_courses_first_badge_makes_the_issuer_as_the_designer_does(client, course, headers):
    """No issuer yet: the API creates the institution's issuer from the registration, the
    same one the designer would have made, and the course's next badges use it."""
    from app.designer.operations import course_issuer
    from app.openbadges.models import Issuer

    assert db.session.scalar(select(func.count()).select_from(Issuer)) == 0
    first = client.post(
        "/api/v1/badges",
        headers=headers,
        json={"context_id": course.context.public_id, "name": "First", "description": "The first"},
    )
    assert first.status_code == 201, first.json
    issuer = db.session.scalars(select(Issuer)).one()
    assert first.json["issuer_id"] == issuer.public_id
    assert course_issuer(course.context).id == issuer.id  # what the designer finds
    registration = db.session.get(Registration, course.context.registration_id)
    assert (issuer.registration_id, issuer.context_id) == (registration.id, None)
    # Named after the institution as the launches give it (tool_platform), not the LMS URL.
    assert registration.platform_name and issuer.name == registration.platform_name
    assert issuer.url == registration.issuer
    second = client.post(
        "/api/v1/badges",
        headers=headers,
        json={"context_id": course.context.public_id, "name": "Second", "description": "Next"},
    )
    assert second.json["issuer_id"] == issuer.public_id
    no_course = client.post(
        "/api/v1/badges", headers=headers, json={"name": "Loose", "description": "No course"}
    )
    assert no_course.status_code == 201 and no_course.json["issuer_id"] == issuer.public_id
