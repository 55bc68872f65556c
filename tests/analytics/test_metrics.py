"""Dashboard metrics from a seeded course, checked against numbers worked out by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from app.analytics.metrics import Scope, compute
from app.audit import SYSTEM
from app.awards import operations as awards
from app.awards.models import ReviewItem
from app.extensions import db
from app.sharing.operations import record_share, record_view
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    ColumnFactory,
    CourseFactory,
    GradeFactory,
    IssuerFactory,
    PersonFactory,
    token_for,
)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130 Safari/537.36"
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 10)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def seeded(app):
    """Two badges, five learners. The hand-computed figures are in the tests below."""
    context = CourseFactory(title="Biology 101")
    teacher = PersonFactory(
        course=context, name="Tess Teacher", email="tess@example.edu", staff=True
    )
    l1, l2, l3, l4, l5 = (
        PersonFactory(course=context, name=f"Learner {i}", email=f"l{i}@example.edu")
        for i in range(1, 6)
    )
    issuer = IssuerFactory()
    a, b = (
        BadgeFactory(issuer=issuer, context=context, name="Foundations"),
        BadgeFactory(issuer=issuer, context=context, name="Advanced"),
    )
    # In range: A to L1 (Nov 2), L2 (Nov 3), L3 (Nov 5); B to L1 (Nov 6).
    a1, a2, a3 = (
        AwardFactory(badge=a, user=l1, now=at(2)),
        AwardFactory(badge=a, user=l2, now=at(3)),
        AwardFactory(badge=a, user=l3, now=at(5)),
    )
    b1 = AwardFactory(badge=b, user=l1, now=at(6))
    # Out of range: A to L4 on Oct 20, accepted the same day, shared and viewed in October.
    a4 = AwardFactory(badge=a, user=l4, now=at(20, month=10))
    awards.accept(a4, now=at(20, 12, month=10))
    record_share(a4.id, "linkedin_post", user_agent=None, now=at(25, month=10))
    record_view(a4.id, BROWSER, now=at(21, month=10))
    # Acceptances: 2 h, 24 h and 1 h after issue; L3 never accepts, and is revoked.
    awards.accept(a1, now=at(2, 12))
    awards.accept(a2, now=at(4, 10))
    awards.accept(b1, now=at(6, 11))
    awards.revoke(a3, "issued in error", actor=SYSTEM)
    # Shares and downloads in range, and a bot that does not count.
    record_share(a1.id, "linkedin_profile", user_agent=None, now=at(2, 13))
    record_share(a1.id, "copy_link", user_agent=None, now=at(3, 9))
    record_share(a2.id, "download_png", user_agent=None, now=at(4, 11))
    record_share(a2.id, "download_png", user_agent="curl/8.0", now=at(4, 11))
    # Verification views: two on Nov 2, one on Nov 3 (A); one on Nov 7 (B); bots ignored.
    for when in (at(2, 14), at(2, 15), at(3, 8)):
        record_view(a1.id, BROWSER, now=when)
    record_view(b1.id, BROWSER, now=at(7))
    record_view(b1.id, "LinkedInBot/1.0", now=at(7))
    # Review queue on A: L5 waits; L1 was queued but holds A since (not pending any more).
    db.session.add_all(
        [
            ReviewItem(badge_id=a.id, user_id=l5.id, data={}),
            ReviewItem(badge_id=a.id, user_id=l1.id, data={}),
        ]
    )
    # B's rule: 80 % on the Quiz. Close (within 10 points): L2 (75 %), L5 (72 %); L3 (50 %)
    # is not; L4 (85 %) qualifies; L1 holds B.
    quiz = ColumnFactory(context=context, label="Quiz", score_maximum=100)
    for user, score in ((l1, 90), (l2, 75), (l3, 50), (l4, 85), (l5, 72)):
        GradeFactory(column=quiz, user=user, score=score, source="manual", timestamp=at(1))
    b.criteria, b.enabled = {"column": quiz.public_id, "min_percent": 80}, True
    db.session.commit()
    return {"context": context, "teacher": teacher, "a": a, "b": b, "learner": l2}


def test_course_metrics_match_hand_computed_values(seeded):
    m = compute(Scope.from_dates(FIRST, LAST, context_id=seeded["context"].id))
    assert (m.issued, m.accepted, m.revoked) == (4, 3, 1)
    assert m.acceptance_rate == 0.75
    assert m.median_hours_to_accept == 2.0  # median of 2 h, 24 h, 1 h
    assert m.shares_by_channel["linkedin_profile"] == 1
    assert m.shares_by_channel["copy_link"] == 1
    assert m.shares_by_channel["download_png"] == 1
    assert m.shares_by_channel["linkedin_post"] == 0  # October's is outside the range
    assert (m.shares, m.downloads, m.views) == (2, 1, 4)
    assert m.pending_reviews == 1
    assert m.close_to_threshold == 2
    assert m.bucket == "day" and len(m.views_over_time) == 10
    views = dict(m.views_over_time)
    assert (views["2026-11-02"], views["2026-11-03"], views["2026-11-07"]) == (2, 1, 1)
    assert sum(views.values()) == 4
    issued = dict(m.issued_over_time)
    assert [issued[f"2026-11-0{d}"] for d in (2, 3, 5, 6)] == [1, 1, 1, 1]
    accepted = dict(m.accepted_over_time)
    assert (accepted["2026-11-02"], accepted["2026-11-04"], accepted["2026-11-06"]) == (1, 1, 1)
    rows = {r.name: r for r in m.badges}
    assert (rows["Foundations"].issued, rows["Foundations"].accepted) == (3, 2)
    assert (rows["Advanced"].issued, rows["Advanced"].views, rows["Advanced"].close) == (1, 1, 2)
    assert rows["Foundations"].pending_reviews == 1


def test_badge_and_registration_scopes(seeded):
    m = compute(Scope.from_dates(FIRST, LAST, badge_id=seeded["a"].id))
    assert (m.issued, m.accepted, m.views, m.revoked) == (3, 2, 3, 1)
    assert m.median_hours_to_accept == 13.0  # median of 2 h and 24 h
    assert m.close_to_threshold == 0  # A has no rule
    wide = compute(
        Scope.from_dates(
            date(2026, 10, 1), LAST, registration_id=seeded["context"].registration_id
        ),
        with_close=False,
    )
    assert (wide.issued, wide.accepted, wide.views, wide.shares) == (5, 4, 5, 3)
    assert wide.median_hours_to_accept == 2.0  # 2, 24, 1, 2 → (2 + 2) / 2
    assert wide.close_to_threshold is None
    # Another registration sees none of it.
    other = CourseFactory(title="Chemistry")
    assert compute(Scope.from_dates(FIRST, LAST, registration_id=other.registration_id)).issued == 0


def test_staff_dashboard_renders_accessible_charts_and_tables(seeded, client):
    context = seeded["context"]
    lt = token_for(context, seeded["teacher"], staff=True)
    page = client.get(
        "/course/analytics/", query_string={"lt": lt, "from": "2026-11-01", "to": "2026-11-10"}
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count('role="img"') == 4 and "<title id=" in html and "<desc id=" in html
    assert 'data-metric="issued">4<' in html and "75%" in html and "2 h" in html
    assert 'data-metric="close">2<' in html and 'data-metric="pending">1<' in html
    assert f'name="lt" value="{lt}"' in html and f"lt={lt}" in html
    one = client.get(
        "/course/analytics/",
        query_string={
            "lt": lt,
            "badge": seeded["a"].public_id,
            "from": "2026-11-01",
            "to": "2026-11-10",
        },
    )
    assert 'data-metric="issued">3<' in one.text
    # Learners may not see it; another course's badge is not here; bad dates fall back.
    learner_lt = token_for(context, seeded["learner"])
    assert client.get("/course/analytics/", query_string={"lt": learner_lt}).status_code == 403
    assert client.get("/course/analytics/").status_code == 401
    other = CourseFactory(title="Chemistry")
    foreign = BadgeFactory(context=other, name="Elsewhere")
    assert (
        client.get(
            "/course/analytics/", query_string={"lt": lt, "badge": foreign.public_id}
        ).status_code
        == 404
    )
    bad = client.get("/course/analytics/", query_string={"lt": lt, "from": "2026-13-01"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text


def test_staff_exports_stream_csv_and_json(seeded, client):
    lt = token_for(seeded["context"], seeded["teacher"], staff=True)
    query = {"lt": lt, "from": "2026-11-01", "to": "2026-11-10"}
    response = client.get("/course/analytics/export/assertions.csv", query_string=query)
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # Headed for people (app.analytics.exports.FIELD_LABELS); the API keeps the field names.
    assert len(rows) == 4 and {r["Badge"] for r in rows} == {"Foundations", "Advanced"}
    assert sum(r["Revoked"] == "True" for r in rows) == 1
    data = json.loads(
        client.get("/course/analytics/export/assertions.json", query_string=query).data
    )
    assert len(data) == 4 and all(
        d["verify_url"].startswith("http://localhost/ob/verify/") for d in data
    )
    metrics = json.loads(
        client.get("/course/analytics/export/metrics.json", query_string=query).data
    )
    assert (metrics["issued"], metrics["acceptance_rate"], metrics["verification_views"]) == (
        4,
        0.75,
        4,
    )
    table = list(
        csv.DictReader(
            io.StringIO(
                client.get("/course/analytics/export/metrics.csv", query_string=query).get_data(
                    as_text=True
                )
            )
        )
    )
    assert table[-1]["Badge ID"] == "*" and table[-1]["Issued"] == "4"


def test_api_exports_are_tenant_scoped(seeded, client):
    from app.api.auth import create_key

    context = seeded["context"]
    _k, secret = create_key(context.registration_id)
    other = CourseFactory(title="Chemistry")
    _o, other_secret = create_key(other.registration_id)
    auth = {"Authorization": f"Bearer {secret}"}
    response = client.get(
        "/api/v1/exports/assertions",
        headers=auth,
        query_string={"format": "json", "from": "2026-10-01", "to": "2026-11-10"},
    )
    assert response.status_code == 200 and response.is_streamed
    assert len(json.loads(response.data)) == 5
    metrics = client.get(
        "/api/v1/exports/metrics",
        headers=auth,
        query_string={
            "format": "json",
            "context_id": context.public_id,
            "from": "2026-11-01",
            "to": "2026-11-10",
        },
    ).json
    assert metrics["issued"] == 4 and metrics["close_to_threshold"] == 2
    assert (
        client.get(
            "/api/v1/exports/metrics",
            headers={"Authorization": f"Bearer {other_secret}"},
            query_string={"context_id": context.public_id},
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/exports/assertions", headers=auth, query_string={"from": "nonsense"}
        ).status_code
        == 400
    )
