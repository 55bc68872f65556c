"""The learner's public profile: off by default, the learner picks the badges, the address
never changes, revoked and expired awards never appear, and nobody can add another learner's
award to their page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.openbadges import operations
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    IssuerFactory,
    PersonFactory,
    token_for,
)


def _save(client, token: str, public: bool, *badges: str):
    data = {"lt": token, "badge": list(badges)}
    if public:
        data["public"] = "on"
    return client.post("/learner/profile", data=data)


def _address(client, token: str) -> str:
    html = client.get("/learner/profile", query_string={"lt": token}).get_data(as_text=True)
    return re.search(r'data-testid="profile-url">(http[^<]+)<', html)[1]


def test_a_chosen_valid_badge_is_shown_at_a_stable_address(app, client):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    bo = PersonFactory(course=course, name="Bo Chen", email="bo@example.org")
    issuer = IssuerFactory()
    cells = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Cell Biology"), user=ana
    )
    genes = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Genetics"), user=ana
    )
    AwardFactory(badge=BadgeFactory(issuer=issuer, context=course, name="Ecology"), user=ana)
    others = AwardFactory(badge=BadgeFactory(issuer=issuer, context=course, name="Botany"), user=bo)
    token = token_for(course, ana)

    page = client.get("/learner/profile", query_string={"lt": token}).get_data(as_text=True)
    assert 'id="profile-public" name="public" type="checkbox" >' in page  # off by default
    assert "profile-url" not in page
    saved = _save(client, token, True, cells.public_id, genes.public_id, others.public_id)
    assert saved.status_code == 303
    address = _address(client, token)
    path = address.split("://", 1)[1].split("/", 1)[1]
    public = client.get("/" + path, headers={"Accept": "text/html"})
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "Ana Lima" in html
    assert "Cell Biology" in html and "Genetics" in html
    assert "Ecology" not in html  # not chosen
    assert "Botany" not in html  # another learner's award cannot be added
    assert f"/ob/verify/{cells.public_id}" in html or cells.public_id in html

    # Off: the page answers 404 (HTML for browsers); on again: the same address.
    _save(client, token, False, cells.public_id)
    gone = client.get("/" + path, headers={"Accept": "text/html"})
    assert gone.status_code == 404 and "text/html" in gone.content_type
    _save(client, token, True, cells.public_id)
    assert _address(client, token) == address


def test_revoked_and_expired_badges_never_show(app, client):
    course = CourseFactory(title="Chemistry 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    issuer = IssuerFactory()
    revoked = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Titration"), user=ana
    )
    soon = datetime.now(UTC) + timedelta(seconds=2)
    expiring = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Safety"), user=ana, expires_at=soon
    )
    kept = AwardFactory(
        badge=BadgeFactory(issuer=issuer, context=course, name="Lab Notes"), user=ana
    )
    token = token_for(course, ana)
    _save(client, token, True, revoked.public_id, expiring.public_id, kept.public_id)
    path = "/" + _address(client, token).split("://", 1)[1].split("/", 1)[1]
    assert "Titration" in client.get(path).get_data(as_text=True)
    operations.revoke(revoked, "issued in error")
    later = datetime.now(UTC) + timedelta(minutes=1)
    from app.profile.operations import public_profile

    slug = path.rsplit("/", 1)[1]
    names = [c.name for c in public_profile(slug, now=later).cards]
    assert names == ["Lab Notes"]
    assert "Titration" not in client.get(path).get_data(as_text=True)


def test_an_unknown_address_is_an_html_404(client):
    missing = client.get("/profile/not-a-profile", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "no public profile" in missing.get_data(as_text=True)
