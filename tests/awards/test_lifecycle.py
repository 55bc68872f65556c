"""A badge's lifecycle through the staff pages: a designed badge is a draft; enabling its
automatic awards publishes it and awards everyone who already qualifies; a rule change on a
live badge awards the newly qualifying; a sync in which no grade changed still re-checks;
drafts stay hidden from learners; award-by-hand and revoke failures say what happened.

Everything goes through the public pages (the launch token ``lt``) of a sandbox course that
the tool synced over real HTTP; the badge starts as the designer saves it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, select

from app.audit.models import AuditRecord
from app.awards.pipeline import evaluate_course, learner_ids
from app.course.progress import job_progress
from app.extensions import db
from app.grades.models import Job, JobState
from app.grades.sync import sync_course
from app.models import LtiUser, Membership
from app.openbadges.models import Badge, BadgeStatus, IssuerKey, KeyStatus
from badge_design.design import DEFAULT_DESIGN, design_to_dict
from lti.sandbox.seed import launch_url
from tests.grades.support import live_assertions, new_badge, new_course, sandbox_scores


@pytest.fixture
def course(app, registered, browser):
    """A sandbox course of 12 learners, each with an Exam grade, synced once by the tool."""
    course = new_course(registered, browser, learners=12)
    sync_course(course.context.id)
    return course


def _design(client, course, name: str = "Exam star") -> Badge:
    """Save a new badge in the designer, as an instructor does."""
    saved = client.post(
        "/course/designer/save",
        json={
            "name": name,
            "description": f"{name} of the course",
            "design": design_to_dict(DEFAULT_DESIGN),
        },
        headers={"Authorization": f"Bearer {course.token}"},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["state"] == "draft"
    return db.session.scalar(select(Badge).where(Badge.public_id == saved.get_json()["badge"]))


def _rule(client, course, badge: Badge, percent: float):
    return client.post(
        f"/course/awards/badge/{badge.public_id}/rule",
        data={
            "lt": course.token,
            "column": course.column("Exam").public_id,
            "threshold": str(percent),
            "unit": "percent",
        },
    )


def _qualifying(env, course, percent: float) -> int:
    return sum(s >= percent for s in sandbox_scores(env, course.info.line_item_ids[0]).values())


def _page(client, location: str) -> str:
    page = client.get(location)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _note(location: str) -> str:
    return parse_qs(urlsplit(location).query)["note"][0]


def test_enabling_a_draft_publishes_it_and_awards_everyone_who_already_qualifies(
    client, registered, course
):
    badge = _design(client, course)
    saved = client.post(
        f"/course/awards/badge/{badge.public_id}/criteria",
        data={
            "lt": course.token,
            "criteria": json.dumps({"column": course.column("Exam").public_id, "min_percent": 70}),
        },
    )
    assert _note(saved.location) == "criteria_saved" and "job=" not in saved.location
    page = _page(client, saved.location)
    assert 'data-testid="badge-state">Draft<' in page
    # Said before it happens: the button and the sentence above it name publishing.
    assert "Enabling them <strong>publishes this badge</strong>" in page
    assert "Publish and enable automatic awards" in page
    assert live_assertions(badge) == []

    enabled = client.post(
        f"/course/awards/badge/{badge.public_id}/enabled", data={"lt": course.token, "enabled": "1"}
    )
    assert _note(enabled.location) == "published_enabled"
    db.session.expire_all()
    assert badge.status == BadgeStatus.ACTIVE and badge.enabled
    expected = _qualifying(registered, course, 70)
    assert 0 < expected < 12
    assert len(live_assertions(badge)) == expected
    # The page follows the evaluation job it started; here it already ended.
    job = db.session.scalar(
        select(Job).where(Job.public_id == parse_qs(urlsplit(enabled.location).query)["job"][0])
    )
    assert job.kind == "evaluate" and job.state == JobState.DONE
    page = _page(client, enabled.location)
    assert 'data-testid="badge-state">Live<' in page
    assert f"{expected} badges awarded" in page or (expected == 1 and "1 badge awarded" in page)
    assert f"Awarded ({expected})" in page
    actions = db.session.scalars(
        select(AuditRecord.action).where(AuditRecord.subject == f"badge:{badge.public_id}")
    ).all()
    assert "badge.published" in actions


def test_a_rule_change_on_a_live_badge_awards_the_newly_qualifying(client, registered, course):
    badge = _design(client, course)
    _rule(client, course, badge, 95)
    client.post(
        f"/course/awards/badge/{badge.public_id}/enabled", data={"lt": course.token, "enabled": "1"}
    )
    assert len(live_assertions(badge)) == _qualifying(registered, course, 95)

    lowered = _rule(client, course, badge, 60)
    assert _note(lowered.location) == "criteria_saved_checking" and "job=" in lowered.location
    assert (
        len(live_assertions(badge))
        == _qualifying(registered, course, 60)
        > _qualifying(registered, course, 95)
    )
    assert "against the grades already held" in _page(client, lowered.location)


def test_a_sync_in_which_no_grade_changed_still_rechecks_live_badges(registered, course):
    # A live badge whose evaluation never ran (made by the API before this check existed, or
    # its job lost): the learners who qualify must not wait for their next grade change.
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 70}
    )
    assert live_assertions(badge) == []
    again = sync_course(course.context.id)
    assert again.passed.changed == 0
    assert again.passed.issued == _qualifying(registered, course, 70) > 0
    assert len(live_assertions(badge)) == again.passed.issued
    assert sync_course(course.context.id).passed.issued == 0  # idempotent


def test_drafts_and_archived_badges_award_nobody_and_stay_hidden_from_learners(
    client, registered, browser, course
):
    draft = _design(client, course, "Still a draft")
    _rule(client, course, draft, 10)
    live = _design(client, course, "Live one")
    _rule(client, course, live, 100)
    client.post(
        f"/course/awards/badge/{live.public_id}/enabled", data={"lt": course.token, "enabled": "1"}
    )
    sync_course(course.context.id)
    assert live_assertions(draft) == []  # a draft is never awarded, even when everyone qualifies

    learner = course.info.learner_logins[0]
    landing = browser.walk(
        browser.get(launch_url(registered.sandbox, course.slug, course.info.course_id, learner))
    )
    html = landing.text
    assert "Live one" in html and "Still a draft" not in html
    db.session.rollback()  # the launch wrote through the live server: read from there on

    archived = client.post(
        f"/course/awards/badge/{live.public_id}/archive", data={"lt": course.token}
    )
    assert _note(archived.location) == "archived"
    assert "Live one" not in browser.get(landing.url).text
    listing = _page(client, f"/course/awards/?lt={course.token}")
    assert 'data-testid="badge-state">Archived<' in listing
    restored = client.post(
        f"/course/awards/badge/{live.public_id}/restore", data={"lt": course.token}
    )
    assert _note(restored.location) == "restored" and "job=" in restored.location
    assert "Live one" in browser.get(landing.url).text


def test_awarding_a_draft_by_hand_says_it_is_a_draft_and_offers_to_publish(client, course):
    badge = _design(client, course)
    learner = db.session.scalars(
        select(LtiUser)
        .join(Membership)
        .where(Membership.context_id == course.context.id, Membership.is_staff.is_(False))
    ).first()
    answer = client.post(
        f"/course/awards/badge/{badge.public_id}/award",
        data={"lt": course.token, "user_id": learner.public_id, "reason": "great project"},
    )
    assert _note(answer.location) == "award_draft"
    page = _page(client, answer.location)
    assert "This badge is still a draft, so it cannot be awarded yet" in page
    assert "Give a reason" not in page
    assert 'data-testid="publish-offer"' in page
    assert live_assertions(badge) == []

    published = client.post(
        f"/course/awards/badge/{badge.public_id}/publish", data={"lt": course.token}
    )
    assert _note(published.location) == "published"
    client.post(
        f"/course/awards/badge/{badge.public_id}/award",
        data={"lt": course.token, "user_id": learner.public_id, "reason": "great project"},
    )
    assert [a.lti_user_id for a in live_assertions(badge)] == [learner.id]


def test_award_and_revoke_failures_say_what_happened(client, course):
    badge = new_badge(course.context, None, enabled=False)
    learner = db.session.scalars(
        select(LtiUser)
        .join(Membership)
        .where(Membership.context_id == course.context.id, Membership.is_staff.is_(False))
    ).first()
    url = f"/course/awards/badge/{badge.public_id}/award"

    def award(**form) -> str:
        answer = client.post(
            url,
            data={"lt": course.token, "user_id": learner.public_id, "reason": "project", **form},
        )
        return _note(answer.location)

    assert award(reason=" ") == "award_reason"
    assert award(user_id="not-a-learner") == "award_learner"
    # The issuer lost its signing key (an admin revoked it): nothing can be signed.
    for key in db.session.scalars(select(IssuerKey)):
        key.status = KeyStatus.REVOKED
    db.session.commit()
    assert award() == "award_no_key"
    page = _page(
        client, f"/course/awards/badge/{badge.public_id}?lt={course.token}&note=award_no_key"
    )
    assert "has no signing key" in page and "Give a reason" not in page
    for key in db.session.scalars(select(IssuerKey)):
        key.status = KeyStatus.ACTIVE
    db.session.commit()
    assert award() == "awarded"
    assert award() == "already_held"

    holder = live_assertions(badge)[0]
    revoke = f"/course/awards/assertion/{holder.public_id}/revoke"
    assert (
        _note(client.post(revoke, data={"lt": course.token, "reason": ""}).location)
        == "revoke_reason"
    )
    assert (
        _note(client.post(revoke, data={"lt": course.token, "reason": "wrong learner"}).location)
        == "revoked"
    )
    again = client.post(revoke, data={"lt": course.token, "reason": "twice"})
    assert _note(again.location) == "already_revoked"
    assert "already revoked; nothing changed" in _page(client, again.location)

    archived = client.post(
        f"/course/awards/badge/{badge.public_id}/archive", data={"lt": course.token}
    )
    assert _note(archived.location) == "archived"
    assert award() == "award_archived"


def test_badge_details_are_edited_on_the_badge_page(client, course):
    badge = _design(client, course)
    url = f"/course/awards/badge/{badge.public_id}/details"
    saved = client.post(
        url,
        data={
            "lt": course.token,
            "name": "Exam champion",
            "description": "Top of the exam",
            "tags": "exam, chemistry,exam",
            "expiry_policy": "days",
            "expires_days": "365",
        },
    )
    assert _note(saved.location) == "details_saved"
    db.session.expire_all()
    assert (badge.name, badge.description, badge.tags, badge.expiry_policy, badge.expires_days) == (
        "Exam champion",
        "Top of the exam",
        ["chemistry", "exam"],
        "days",
        365,
    )
    same = client.post(
        url,
        data={
            "lt": course.token,
            "name": "Exam champion",
            "description": "Top of the exam",
            "tags": "chemistry, exam",
            "expiry_policy": "fixed",
            "expires_on": "2027-06-30",
        },
    )
    assert _note(same.location) == "details_saved"
    again = client.post(
        url,
        data={
            "lt": course.token,
            "name": "Exam champion",
            "description": "Top of the exam",
            "tags": "chemistry, exam",
            "expiry_policy": "fixed",
            "expires_on": "2027-06-30",
        },
    )
    assert _note(again.location) == "details_saved"  # nothing changed: nothing recorded
    refused = client.post(url, data={"lt": course.token, "name": " ", "description": "x"})
    assert refused.status_code == 422
    assert "Not saved: Badge name is required" in refused.get_data(as_text=True)
    dated = client.post(
        url,
        data={
            "lt": course.token,
            "name": "Exam champion",
            "description": "x",
            "expiry_policy": "fixed",
        },
    )
    assert "Give the date every award expires on." in dated.get_data(as_text=True)
    db.session.expire_all()
    assert badge.name == "Exam champion"
    assert (
        db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.subject == f"badge:{badge.public_id}")
        )
        .all()
        .count("badge.edited")
        == 2
    )


def test_job_status_json_follows_progress_and_stays_in_its_course(
    client, registered, browser, course
):
    badge = _design(client, course)
    _rule(client, course, badge, 50)
    enabled = client.post(
        f"/course/awards/badge/{badge.public_id}/enabled", data={"lt": course.token, "enabled": "1"}
    )
    job_id = parse_qs(urlsplit(enabled.location).query)["job"][0]
    status = client.get(
        f"/course/awards/jobs/{job_id}", headers={"Authorization": f"Bearer {course.token}"}
    )
    assert status.status_code == 200 and status.headers["Cache-Control"] == "no-store"
    body = status.get_json()
    assert body["finished"] and body["state"] == "done"
    assert body["issued"] == len(live_assertions(badge))
    db.session.rollback()  # the other course's launch writes through the live server
    other = new_course(registered, browser, learners=2)
    assert (
        client.get(
            f"/course/awards/jobs/{job_id}", headers={"Authorization": f"Bearer {other.token}"}
        ).status_code
        == 404
    )
    assert client.get(f"/course/awards/jobs/{job_id}").status_code == 401

    # While an evaluation runs, each committed chunk reports how far it got.
    seen: list[dict[str, int]] = []
    evaluate_course(course.context.id, on_progress=seen.append)
    # Every member the tool counts as a learner: the 12 students, and the non-editing teacher
    # whom Moodle's roster calls Learner until a launch shows them as staff.
    assert seen and seen[-1]["done"] == seen[-1]["total"] == len(learner_ids(course.context.id))
    running = Job(
        kind="evaluate",
        context_id=course.context.id,
        state=JobState.RUNNING,
        result={"total": 12, "done": 5, "issued": 2},
    )
    assert job_progress(running).text == "Checking learners: 5 of 12, 2 badges awarded so far…"


def test_an_api_client_publishing_a_draft_awards_everyone_who_already_qualifies(
    client, registered, course
):
    from app.api.auth import create_key

    _key, secret = create_key(course.context.registration_id)
    headers = {"Authorization": f"Bearer {secret}"}
    badge = _design(client, course)
    patched = client.patch(
        f"/api/v1/badges/{badge.public_id}",
        headers=headers,
        json={
            "criteria": {"column": course.column("Exam").public_id, "min_percent": 70},
            "enabled": True,
        },
    )
    assert patched.status_code == 200 and patched.json["status"] == "draft"
    assert live_assertions(badge) == []  # a draft awards nobody, even with its rule on
    published = client.patch(
        f"/api/v1/badges/{badge.public_id}", headers=headers, json={"status": "active"}
    )
    assert published.status_code == 200
    assert len(live_assertions(badge)) == _qualifying(registered, course, 70)


def test_the_simple_rule_form_says_what_is_wrong_and_fills_itself_back(client, course):
    badge = _design(client, course)
    exam = course.column("Exam").public_id
    url = f"/course/awards/badge/{badge.public_id}/rule"
    for form, message in (
        (
            {"column": exam, "threshold": "lots", "unit": "percent"},
            "The score needed must be a number, such as 80.",
        ),
        (
            {"column": exam, "threshold": "120", "unit": "percent"},
            "The score needed must be above 0 (and at most 100 %).",
        ),
        (
            {"column": "", "threshold": "80", "unit": "percent"},
            "Choose the column the badge is earned in.",
        ),
    ):
        refused = client.post(url, data={"lt": course.token, **form})
        assert refused.status_code == 422
        assert f"Not saved: {message}" in refused.get_data(as_text=True)
    assert (
        client.post(
            url, data={"lt": course.token, "column": exam, "threshold": "7,5", "unit": "points"}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert badge.criteria == {"column": exam, "min_points": 7.5}
    page = _page(client, f"/course/awards/badge/{badge.public_id}?lt={course.token}")
    assert 'value="7.5"' in page and '<option value="points" selected>' in page


def test_an_expired_award_is_awarded_again_to_a_learner_who_still_qualifies(registered, course):
    # Awards of this badge last 30 days. Past that, the learner holds nothing live: a re-check
    # issues a new award (the expired one stays on record, replaced), once.
    from datetime import timedelta

    from app.models.base import utcnow
    from app.openbadges.models import Assertion

    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 70}
    )
    badge.expiry_policy, badge.expires_days = "days", 30
    db.session.commit()
    first = evaluate_course(course.context.id)
    assert first.issued == _qualifying(registered, course, 70) > 0
    later = utcnow() + timedelta(days=31)
    again = evaluate_course(course.context.id, now=later)
    assert again.issued == first.issued
    assert evaluate_course(course.context.id, now=later).issued == 0  # idempotent
    rows = db.session.scalars(select(Assertion).where(Assertion.badge_id == badge.id)).all()
    assert len(rows) == 2 * first.issued
    assert sum(row.replaced_at is not None for row in rows) == first.issued


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's write lock (PostgreSQL locks rows)"
)
def test_a_staff_form_posted_while_the_worker_commits_is_not_refused(client, course):
    # Seen in `make run`: an instructor enabled automatic awards while the worker was issuing
    # the demo's awards; the request had read the badge, the worker committed, and SQLite
    # refused the request's write at once ("database is locked"): an error page. Here
    # another connection (the worker's stand-in) commits right after the request's first
    # read; the form must succeed, and the other write wait its turn, not be lost.
    badge = _design(client, course)
    _rule(client, course, badge, 70)
    path = db.engine.url.database
    other_committed = threading.Event()

    def worker_commits() -> None:
        other = sqlite3.connect(path, timeout=10, isolation_level=None)
        other.execute("UPDATE ob_issuer SET name = name || ' (worker)'")
        other.close()
        other_committed.set()

    threads: list[threading.Thread] = []

    def after_first_read(_conn, _cursor, statement, *_args) -> None:
        if not threads and statement.lstrip().upper().startswith("SELECT"):
            threads.append(threading.Thread(target=worker_commits))
            threads[0].start()
            other_committed.wait(5)  # it commits at once, unless the request holds the lock

    event.listen(db.engine, "after_cursor_execute", after_first_read)
    try:
        enabled = client.post(
            f"/course/awards/badge/{badge.public_id}/enabled",
            data={"lt": course.token, "enabled": "1"},
        )
    finally:
        event.remove(db.engine, "after_cursor_execute", after_first_read)
        # The request ran in this test's app context, whose session outlives it (in the app,
        # the request's own context ends it): end its transaction, as the request's end does.
        db.session.rollback()
        for thread in threads:
            thread.join(15)
    assert enabled.status_code == 303, enabled.get_data(as_text=True)[:300]
    assert _note(enabled.location) == "published_enabled"
    assert threads and other_committed.is_set()
    db.session.expire_all()
    assert badge.status == BadgeStatus.ACTIVE and badge.enabled
    assert badge.issuer.name.endswith(" (worker)")
