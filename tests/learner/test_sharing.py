"""Counted shares and downloads, LinkedIn URLs to the parameter, verification view counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from freezegun import freeze_time

from app.audit import SYSTEM
from app.awards import operations
from app.extensions import db
from app.sharing import linkedin
from app.sharing.models import ShareEvent, VerificationView
from app.sharing.operations import counts_for, is_bot
from tests.factories import AwardFactory, BadgeFactory, CourseFactory, PersonFactory

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@pytest.fixture
def earned(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    badge = BadgeFactory(context=course, name="Cell Biology")
    return AwardFactory(
        badge=badge,
        user=ana,
        now=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        expires_at=datetime(2027, 11, 30, tzinfo=UTC),
    )


def _shares(assertion) -> dict[str, int]:
    return counts_for([assertion.id])[assertion.id].shares


def test_add_to_profile_url_has_exactly_linkedins_parameters():
    url = linkedin.add_to_profile_url(
        name="Cell Biology",
        organization="Example University & Co",
        issued_on=datetime(2025, 3, 14, tzinfo=UTC),
        expires_at=datetime(2027, 11, 30, tzinfo=UTC),
        cert_url="https://badges.example.edu/ob/verify/abc",
        cert_id="abc",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Cell Biology"),
        ("organizationName", "Example University & Co"),
        ("issueYear", "2025"),
        ("issueMonth", "3"),
        ("expirationYear", "2027"),
        ("expirationMonth", "11"),
        ("certUrl", "https://badges.example.edu/ob/verify/abc"),
        ("certId", "abc"),
    ]
    assert "Co&name" not in url  # values are percent-encoded, never break the query


def test_add_to_profile_without_expiry_and_with_an_organization_id():
    url = linkedin.add_to_profile_url(
        name="X",
        organization="Ignored",
        issued_on=datetime(2025, 1, 2, tzinfo=UTC),
        expires_at=None,
        cert_url="https://e/x",
        cert_id="x",
        organization_id="1337",
    )
    keys = [k for k, _v in parse_qsl(urlsplit(url).query)]
    assert keys == [
        "startTask",
        "name",
        "organizationId",
        "issueYear",
        "issueMonth",
        "certUrl",
        "certId",
    ]


def test_share_post_url():
    assert linkedin.share_post_url("https://b.example/ob/verify/a?x=1") == (
        "https://www.linkedin.com/sharing/share-offsite/"
        "?url=https%3A%2F%2Fb.example%2Fob%2Fverify%2Fa%3Fx%3D1"
    )


def test_linkedin_profile_share_is_counted_and_redirects_prefilled(client, earned):
    response = client.get(
        f"/share/{earned.public_id}/linkedin_profile?from=email", headers={"User-Agent": BROWSER}
    )
    assert response.status_code == 303 and response.headers["Cache-Control"] == "no-store"
    query = dict(parse_qsl(urlsplit(response.location).query))
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Cell Biology",
        "organizationName": "Example University",
        "issueYear": "2025",
        "issueMonth": "3",
        "expirationYear": "2027",
        "expirationMonth": "11",
        "certUrl": f"http://localhost/ob/verify/{earned.public_id}",
        "certId": earned.public_id,
    }
    event = db.session.query(ShareEvent).one()
    assert (event.channel, event.source) == ("linkedin_profile", "email")


def test_every_channel_is_counted(client, earned):
    pid = earned.public_id
    headers = {"User-Agent": BROWSER}
    post = client.get(f"/share/{pid}/linkedin_post", headers=headers)
    assert post.location.startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    png = client.get(f"/share/{pid}/download_png", headers=headers)
    assert png.location == f"http://localhost/ob/v3/credentials/{pid}/badge.png?download=1"
    baked = client.get(urlsplit(png.location).path + "?download=1")
    assert baked.mimetype == "image/png" and "attachment" in baked.headers["Content-Disposition"]
    svg = client.get(f"/share/{pid}/download_svg", headers=headers)
    assert svg.location.endswith(f"/ob/v3/credentials/{pid}/badge.svg?download=1")
    as_json = client.get(f"/share/{pid}/download_json", headers=headers)
    assert as_json.mimetype == "application/ld+json"
    assert as_json.headers["Content-Disposition"] == 'attachment; filename="Cell Biology.json"'
    assert json.loads(as_json.data)["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert client.post(f"/share/{pid}/copy_link", headers=headers).status_code == 204
    copy = client.get(f"/share/{pid}/copy_link", headers=headers)
    assert copy.location == f"http://localhost/ob/verify/{pid}"
    assert _shares(earned) == {
        "linkedin_post": 1,
        "download_png": 1,
        "download_svg": 1,
        "download_json": 1,
        "copy_link": 2,
    }


def test_bots_prefetches_and_unknown_channels_are_not_counted(client, earned):
    pid = earned.public_id
    client.get(f"/share/{pid}/linkedin_profile", headers={"User-Agent": "LinkedInBot/1.0"})
    client.get(f"/share/{pid}/download_png", headers={"User-Agent": ""})
    client.get(
        f"/share/{pid}/download_png", headers={"User-Agent": BROWSER, "Sec-Purpose": "prefetch"}
    )
    assert client.get(f"/share/{pid}/facebook", headers={"User-Agent": BROWSER}).status_code == 404
    assert client.get("/share/not-an-award/download_png").status_code == 404
    assert _shares(earned) == {}


def test_a_revoked_award_cannot_be_shared(client, earned):
    operations.revoke(earned, "mistake", actor=SYSTEM)
    assert (
        client.get(
            f"/share/{earned.public_id}/linkedin_profile", headers={"User-Agent": BROWSER}
        ).status_code
        == 410
    )
    assert _shares(earned) == {}


@pytest.mark.parametrize(
    "agent",
    [
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "facebookexternalhit/1.1",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 HeadlessChrome/126.0",
        "",
        None,
    ],
)
def test_bot_user_agents(agent):
    assert is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        BROWSER,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ],
)
def test_people_are_not_bots(agent):
    assert not is_bot(agent)


def test_verification_views_count_people_not_bots(client, earned):
    url = f"/ob/verify/{earned.public_id}"
    for agent in (BROWSER, BROWSER, "LinkedInBot/1.0", "Twitterbot/1.0", ""):
        assert client.get(url, headers={"User-Agent": agent}).status_code == 200
    client.get(url, headers={"User-Agent": BROWSER, "Sec-Purpose": "prefetch;prerender"})
    client.head(url, headers={"User-Agent": BROWSER})
    # The credential URL opened by a person in a browser is the same page: counted too.
    client.get(
        f"/ob/v3/credentials/{earned.public_id}",
        headers={"User-Agent": BROWSER, "Accept": "text/html"},
    )
    # …but a verifier fetching the JSON is not a view of the page.
    client.get(
        f"/ob/v3/credentials/{earned.public_id}",
        headers={"User-Agent": BROWSER, "Accept": "application/ld+json"},
    )
    assert db.session.query(VerificationView).count() == 3
    assert counts_for([earned.id])[earned.id].views == 3


def test_verification_page_has_everything_a_verifier_and_a_preview_need(client, earned):
    # The learner's name is public once they accepted the badge (privacy default).
    assert "Ana Lima" not in client.get(f"/ob/verify/{earned.public_id}").text
    operations.accept(earned)
    html = client.get(f"/ob/verify/{earned.public_id}").get_data(as_text=True)
    for needle in (
        "Cell Biology",
        "Example University",
        "Ana Lima",
        "Valid",
        "Issued on",
        "March 14, 2025",
        "Expires on",
        "November 30, 2027",
        "Shows mastery of Cell Biology.",  # description
        "Earn 80 % in the Cell Biology quiz.",  # criteria text
        "Scored 85 %",  # evidence
        "Verify it yourself",
        f"/ob/v3/credentials/{earned.public_id}",
        f"/ob/v2/assertions/{earned.public_id}",
        'property="og:title"',
        'property="og:image"',
        'property="og:description"',
        'name="twitter:card"',
        'name="twitter:title"',
        'name="twitter:image"',
        'alt="Cell Biology badge"',
        "<main",
    ):
        assert needle in html, needle
    # The owner's actions (add to profile, share) live on the learner's own pages only.
    assert "linkedin_profile" not in html and "Add to LinkedIn" not in html


def test_the_verification_page_states_revoked_and_expired_at_a_glance(client, earned):
    valid = client.get(f"/ob/verify/{earned.public_id}").get_data(as_text=True)
    assert 'class="status-banner status-valid"' in valid
    assert "Valid: verified badge" in valid and "Checked <time" in valid
    operations.revoke(earned, "Awarded in error", actor=SYSTEM)
    revoked = client.get(f"/ob/verify/{earned.public_id}").get_data(as_text=True)
    assert 'class="status-banner status-revoked"' in revoked
    assert "Example University revoked this badge on" in revoked
    assert "Awarded in error" in revoked and "Valid" not in revoked


def test_an_expired_badge_says_so(client, app):
    course = CourseFactory(title="Chemistry")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    badge = BadgeFactory(context=course, name="Titration")
    # Awarded with an expiry date that was still ahead (a date already past is refused),
    # then looked at after it.
    with freeze_time("2026-01-01"):
        old = AwardFactory(badge=badge, user=ana, expires_at=datetime(2026, 6, 1, tzinfo=UTC))
    with freeze_time("2026-07-01"):
        html = client.get(f"/ob/verify/{old.public_id}").get_data(as_text=True)
    assert 'class="status-banner status-expired"' in html
    assert "This badge was valid until June 1, 2026" in html


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "*/*", ""])
def test_an_unknown_badge_is_a_page_a_person_can_read(client, app, accept):
    answer = client.get("/ob/verify/no-such-badge", headers={"Accept": accept} if accept else {})
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "We could not find this badge" in answer.get_data(as_text=True)
    # The document addresses answer a person's browser the same way.
    document = client.get("/ob/v2/assertions/no-such-badge", headers={"Accept": BROWSER_ACCEPT})
    assert document.status_code == 404 and "We could not find this badge" in document.text


@pytest.mark.parametrize(
    "path", ["/ob/verify/nope", "/ob/v2/assertions/nope", "/ob/v3/credentials/nope"]
)
def test_json_clients_still_get_json_for_an_unknown_badge(client, app, path):
    answer = client.get(path, headers={"Accept": "application/ld+json"})
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
