"""My badges: earned awards, progress from the learner's own grades, the pathway ladder,
accepting and visibility from the page, and nothing of anyone else's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.audit import SYSTEM
from app.extensions import db
from app.models.base import utcnow
from app.openbadges.models import Assertion
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    ColumnFactory,
    CourseFactory,
    GradeFactory,
    IssuerFactory,
    MembershipFactory,
    PersonFactory,
    token_for,
)


@pytest.fixture
def course_setup(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    ben = PersonFactory(course=course, name="Ben Okafor", email="ben@example.org")
    issuer = IssuerFactory()
    quiz = ColumnFactory(context=course, label="Quiz 3", score_maximum=100)
    foundations = BadgeFactory(issuer=issuer, context=course, name="Foundations")
    advanced = BadgeFactory(
        issuer=issuer,
        context=course,
        name="Advanced",
        enabled=True,
        criteria={
            "all": [{"column": quiz.public_id, "min_percent": 80}, {"badge": foundations.public_id}]
        },
    )
    GradeFactory(column=quiz, user=ana, score=72)
    GradeFactory(column=quiz, user=ben, score=95)
    return {
        "course": course,
        "ana": ana,
        "ben": ben,
        "quiz": quiz,
        "foundations": foundations,
        "advanced": advanced,
        "earned": AwardFactory(
            badge=foundations, user=ana, expires_at=utcnow() + timedelta(days=365)
        ),
    }


def _page(client, course, user) -> str:
    response = client.get("/course/learner", query_string={"lt": token_for(course, user)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_page_shows_earned_badges_progress_and_the_ladder(client, course_setup):
    s = course_setup
    html = _page(client, s["course"], s["ana"])
    assert 'data-testid="role">Learner<' in html
    assert "Foundations" in html and 'alt="Foundations badge"' in html
    assert ">Valid<" in html and ">New<" in html and "Expires" in html
    assert "Quiz 3: 72 % of 80 % needed" in html
    assert "requires: Foundations badge ✓" in html
    assert 'data-testid="ladder"' in html
    ladder = html.split('data-testid="ladder"')[1]
    # The top rung first: Advanced builds on Foundations.
    assert ladder.index("Advanced") < ladder.index("Foundations")
    assert "requires Foundations" in ladder
    assert "https://www.linkedin.com" not in html  # share links go through the counter
    assert f"/share/{s['earned'].public_id}/linkedin_profile?from=course" in html


def test_accept_and_visibility_from_the_page(client, course_setup):
    s = course_setup
    lt = token_for(s["course"], s["ana"])
    pid = s["earned"].public_id
    response = client.post(f"/learner/assertions/{pid}/accept", data={"lt": lt})
    assert response.status_code == 303
    assert "/course/learner?" in response.location and "notice=accepted" in response.location
    assert f"#award-{pid}" in response.location
    assertion = db.session.scalar(db.select(Assertion).filter_by(public_id=pid))
    first = assertion.accepted_at
    assert first is not None
    client.post(f"/learner/assertions/{pid}/accept", data={"lt": lt})
    db.session.refresh(assertion)
    assert assertion.accepted_at == first  # accepting again keeps the first time
    html = client.get(response.location).get_data(as_text=True)
    assert "Badge accepted" in html and ">Accepted<" in html

    assert client.get(f"/ob/verify/{pid}").get_data(as_text=True).count("Ana Lima") >= 1
    client.post(f"/learner/assertions/{pid}/visibility", data={"lt": lt, "public": "0"})
    db.session.refresh(assertion)
    assert assertion.public is False
    public_page = client.get(f"/ob/verify/{pid}").get_data(as_text=True)
    assert "Ana Lima" not in public_page and "Valid" in public_page  # hidden, still verifies


def test_actions_need_a_launch_token(client, course_setup):
    pid = course_setup["earned"].public_id
    assert client.post(f"/learner/assertions/{pid}/accept").status_code == 401
    assert (
        client.post(
            f"/learner/assertions/{pid}/visibility", data={"lt": "forged", "public": "0"}
        ).status_code
        == 401
    )


def test_learners_never_see_or_touch_each_others_awards(client, course_setup):
    s = course_setup
    ben_lt = token_for(s["course"], s["ben"])
    html = _page(client, s["course"], s["ben"])
    assert "Ana Lima" not in html and s["earned"].public_id not in html
    assert 'data-testid="no-earned"' in html
    # Ben's own grade, never Ana's: 95 % meets the bar.
    assert "Quiz 3: 72 %" not in html and "95 %" in html
    pid = s["earned"].public_id
    for path in (f"/learner/assertions/{pid}/accept", f"/learner/assertions/{pid}/visibility"):
        assert client.post(path, data={"lt": ben_lt, "public": "0"}).status_code == 404
    assertion = db.session.scalar(db.select(Assertion).filter_by(public_id=pid))
    assert assertion.accepted_at is None and assertion.public is True


def test_an_award_from_another_course_is_not_on_this_courses_page(client, course_setup):
    s = course_setup
    other = CourseFactory(title="Chemistry 201")
    chem = BadgeFactory(issuer=IssuerFactory(name="Other College"), context=other, name="Titration")
    # The same person, enrolled in the other course too (one LtiUser, two memberships).
    MembershipFactory(context=other, user=s["ana"])
    foreign = AwardFactory(badge=chem, user=s["ana"])
    html = _page(client, s["course"], s["ana"])
    assert "Titration" not in html and foreign.public_id not in html
    lt = token_for(s["course"], s["ana"])  # launched from Biology: no reach into Chemistry
    assert (
        client.post(f"/learner/assertions/{foreign.public_id}/accept", data={"lt": lt}).status_code
        == 404
    )


def test_revoked_award_shows_as_revoked_without_share_links(client, course_setup):
    from app.awards import operations

    s = course_setup
    operations.revoke(s["earned"], "Awarded by mistake", actor=SYSTEM)
    html = _page(client, s["course"], s["ana"])
    assert ">Revoked<" in html and "Awarded by mistake" in html
    assert f"/share/{s['earned'].public_id}/" not in html
    # Revoked: Foundations is not held any more, so the prerequisite is not met.
    assert "requires: Foundations badge ✗" in html
