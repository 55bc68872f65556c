"""The staff pages of the pipeline, inside the iframe (launch token on every link and form)."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from app.awards.models import AwardDecision, DecisionAction, ReviewItem
from app.extensions import db
from app.grades.models import Job
from app.grades.sync import sync_course
from app.models import LtiUser, Membership
from tests.grades.support import live_assertions, new_badge, new_course, sandbox_scores


def test_staff_page_flow(app, client, registered, browser):
    course = new_course(registered, browser, learners=12)
    lt = course.token
    sync_course(course.context.id)
    exam = course.column("Exam").public_id
    badge = new_badge(course.context, None, name="Exam star", enabled=False)

    page = client.get(f"/course/awards/?lt={lt}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Last synced" in html and exam in html and "Exam star" in html
    # Every form carries the launch token, every link too.
    assert html.count('name="lt"') == html.count("<form")
    for href in re.findall(r'href="(/course/[^"]+)"', html):
        assert "lt=" in href
    assert client.get("/course/awards/").status_code == 401

    checked = client.post("/course/awards/sync", data={"lt": lt})
    assert checked.status_code == 303 and "note=sync_queued" in checked.location
    assert db.session.scalars(select(Job).order_by(Job.id.desc())).first().state == "done"

    bad = client.post(
        f"/course/awards/badge/{badge.public_id}/criteria",
        data={"lt": lt, "criteria": json.dumps({"column": exam, "min_precent": 80})},
    )
    assert bad.status_code == 422  # the page again, with the draft and what is wrong
    assert "Not saved: /min_precent" in bad.get_data(as_text=True)
    # A preview of the same draft saves nothing, and does not claim it did.
    previewed = client.get(
        f"/course/awards/badge/{badge.public_id}",
        query_string={"lt": lt, "criteria": json.dumps({"column": exam, "min_precent": 80})},
    )
    assert "Cannot preview: /min_precent" in previewed.get_data(as_text=True)
    assert "Not saved" not in previewed.get_data(as_text=True)

    # The sandbox's scores depend on how many people earlier tests created: aim at a
    # threshold someone meets, so the revocation below has an award to revoke.
    scores = sandbox_scores(registered, course.info.line_item_ids[0])
    threshold = min(80, max(scores.values()))
    criteria = json.dumps({"column": exam, "min_percent": threshold, "review_band_percent": 5})
    preview = client.get(
        f"/course/awards/badge/{badge.public_id}", query_string={"lt": lt, "criteria": criteria}
    ).get_data(as_text=True)
    qualifying = sum(s >= threshold for s in scores.values())
    assert f"{qualifying} qualify" in preview
    saved = client.post(
        f"/course/awards/badge/{badge.public_id}/criteria", data={"lt": lt, "criteria": criteria}
    )
    assert "note=criteria_saved" in saved.location
    assert live_assertions(badge) == []  # not enabled yet
    enabled = client.post(
        f"/course/awards/badge/{badge.public_id}/enabled", data={"lt": lt, "enabled": "1"}
    )
    assert "note=enabled" in enabled.location
    assert len(live_assertions(badge)) == qualifying

    holder = live_assertions(badge)[0]
    no_reason = client.post(
        f"/course/awards/assertion/{holder.public_id}/revoke", data={"lt": lt, "reason": ""}
    )
    assert "note=revoke_reason" in no_reason.location
    client.post(
        f"/course/awards/assertion/{holder.public_id}/revoke",
        data={"lt": lt, "reason": "plagiarism"},
    )
    assert len(live_assertions(badge)) == qualifying - 1
    decisions = db.session.scalars(
        select(AwardDecision.action).where(AwardDecision.badge_id == badge.id)
    ).all()
    assert decisions.count(DecisionAction.REVOKE) == 1

    learner = db.session.get(LtiUser, holder.lti_user_id)
    client.post(
        f"/course/awards/badge/{badge.public_id}/award",
        data={"lt": lt, "user_id": learner.public_id, "reason": "appeal upheld"},
    )
    assert len(live_assertions(badge)) == qualifying

    reviews = db.session.scalars(select(ReviewItem).where(ReviewItem.badge_id == badge.id)).all()
    assert len(reviews) == sum(75 <= s < 80 for s in scores.values())
    if reviews:
        client.post(
            f"/course/awards/review/{reviews[0].public_id}",
            data={"lt": lt, "decision": "approve", "reason": "close enough"},
        )
        assert len(live_assertions(badge)) == qualifying + 1


def test_csv_import_reports_bad_rows_and_imports_the_rest(app, client, registered, browser):
    course = new_course(registered, browser, learners=5)
    sync_course(course.context.id)
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 99}
    )
    learners = db.session.scalars(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(Membership.is_staff.is_(False), LtiUser.email.is_not(None))
        .order_by(LtiUser.id)
    ).all()
    learner = next(
        u for u in learners if u.id not in {a.lti_user_id for a in live_assertions(badge)}
    )
    csv = (
        "user,column,score\n"
        f"{learner.email},Exam,100\n"
        "nobody@example.org,Exam,100\n"
        f"{learner.email},Nope,100\n"
        f"{learner.email},Exam,lots\n"
    )
    answer = client.post(
        "/course/awards/import",
        data={"lt": course.token, "file": (io.BytesIO(csv.encode()), "grades.csv")},
        content_type="multipart/form-data",
    )
    html = answer.get_data(as_text=True)
    assert "1 row accepted: " in html and "1 badge awarded" in html
    assert "Line 3: user: no learner with email" in html
    assert "Line 4: column: no column" in html and "Line 5: score: must be a number" in html


def test_staff_page_lists_learners_without_email(app, client, registered, browser):
    course = new_course(registered, browser, learners=12)
    sync_course(course.context.id)
    learner = db.session.scalars(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(Membership.context_id == course.context.id, Membership.is_staff.is_(False))
        .order_by(LtiUser.id)
    ).first()
    learner.email = None
    db.session.commit()
    html = client.get(f"/course/awards/?lt={course.token}").get_data(as_text=True)
    table = html[html.index('data-testid="no-email"') :]
    assert "Learners with no email (1)" in html
    assert learner.name in table[: table.index("</table>")]


def test_the_email_list_speaks_only_after_the_roster_was_read(app, client, registered, browser):
    from app.background.queue import huey

    huey.immediate = False  # the launch's background check waits, as behind a busy worker
    try:
        course = new_course(registered, browser, learners=3)
        before = client.get(f"/course/awards/?lt={course.token}").get_data(as_text=True)
    finally:
        huey.storage.flush_queue()
        huey.immediate = True
    assert "Every learner has an email address" not in before
    assert "has not read this course's list of participants yet" in before
    client.post("/course/awards/sync", data={"lt": course.token})  # Check now
    after = client.get(f"/course/awards/?lt={course.token}").get_data(as_text=True)
    assert "Every learner has an email address" in after
