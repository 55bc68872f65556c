"""A learner's badges across the courses of their LMS: the launch's course first, other
courses of the same registration after, nothing from another registration (even one that
shares the issuer, as every Canvas cloud school does), revoked awards left out."""

from __future__ import annotations

from app.openbadges import operations
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    IssuerFactory,
    MembershipFactory,
    PersonFactory,
    token_for,
)


def test_all_my_badges_spans_my_courses_on_this_lms_only(app, client):
    biology = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=biology, name="Ana Lima", email="ana@example.org")
    # Other courses of the same registration and deployment (the same LMS).
    chemistry = CourseFactory(deployment=biology.deployment, title="Chemistry 101")
    algebra = CourseFactory(deployment=biology.deployment, title="Algebra 101")
    # Another registration of the same issuer.
    elsewhere = CourseFactory(
        title="Elsewhere 101", deployment__registration__issuer=biology.registration.issuer
    )
    for course in (chemistry, algebra, elsewhere):
        MembershipFactory(context=course, user=ana)
    issuer = IssuerFactory()
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=chemistry, name="Titration"), user=ana)
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=biology, name="Cell Biology"), user=ana)
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=algebra, name="Equations"), user=ana)
    operations.revoke(
        AwardFactory(badge=BadgeFactory(issuer=issuer, context=algebra, name="Proofs"), user=ana),
        "in error",
    )
    AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=elsewhere, name="Hidden elsewhere"), user=ana
    )

    page = client.get("/learner/all", query_string={"lt": token_for(chemistry, ana)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    order = [
        html.index(name)
        for name in (
            "Chemistry 101",
            "Titration",
            "Algebra 101",
            "Equations",
            "Biology 101",
            "Cell Biology",
        )
    ]
    assert order == sorted(order)  # this course first, then the others by title
    assert "Proofs" not in html and "Hidden elsewhere" not in html
    assert "Elsewhere 101" not in html
    # The course page links to it, with the launch token.
    course_page = client.get("/course/learner", query_string={"lt": token_for(chemistry, ana)})
    assert 'data-testid="all-my-badges"' in course_page.get_data(as_text=True)
    assert client.get("/learner/all").status_code == 401


def test_a_learner_with_no_badge_is_told_where_progress_is(app, client):
    course = CourseFactory(title="Physics 101")
    ben = PersonFactory(course=course, name="Ben", email="ben@example.org")
    html = client.get("/learner/all", query_string={"lt": token_for(course, ben)}).text
    assert "You hold no badge from this platform's courses yet" in html
