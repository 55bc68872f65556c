"""Accepting from the email: a signed, expiring link; GET shows, only POST accepts."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.learner.tokens import accept_url, make_accept_token
from app.models import Assertion
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    PersonFactory,
)


@pytest.fixture
def earned(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    return AwardFactory(badge=BadgeFactory(context=course, name="Cell Biology"), user=ana)


def _path(assertion) -> str:
    return re.sub(r"^https?://[^/]+", "", accept_url(assertion.public_id))


def test_get_shows_the_badge_and_does_not_accept(client, earned):
    response = client.get(_path(earned))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Cell Biology" in html and "Accept badge" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token stays private
    db.session.refresh(earned)
    assert earned.accepted_at is None  # mail scanners follow links; they must not accept


def test_post_accepts_and_sets_visibility_without_login(client, earned):
    path = _path(earned)
    html = client.post(path, data={"action": "accept"}).get_data(as_text=True)
    assert "Badge accepted" in html and 'data-testid="accepted"' in html
    assert f"/share/{earned.public_id}/linkedin_profile?from=email" in html
    client.post(path, data={"action": "visibility", "public": "0"})
    assertion = db.session.get(Assertion, earned.id)
    assert assertion.accepted_at is not None and assertion.public is False


def _tamper_signature(token: str) -> str:
    """The token with one character in the middle of its signature changed.

    The last base64 character of a signature carries unused bits, so changing it can spell the
    same signature; a middle character always changes the signed bytes.
    """
    payload, _, signature = token.rpartition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def test_forged_and_expired_links_are_refused(app, client, earned):
    assert client.get("/learner/accept/not-a-token").status_code == 400
    other_secret = _tamper_signature(make_accept_token(earned.public_id))
    assert (
        client.post(f"/learner/accept/{other_secret}", data={"action": "accept"}).status_code == 400
    )
    app.config["ACCEPT_TOKEN_MAX_AGE"] = -1
    try:
        response = client.post(_path(earned), data={"action": "accept"})
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    finally:
        del app.config["ACCEPT_TOKEN_MAX_AGE"]
    assert db.session.get(Assertion, earned.id).accepted_at is None


def test_the_launch_token_is_not_an_accept_token(client, earned):
    from tests.factories import token_for

    course = db.session.get(Assertion, earned.id).badge.context_id
    from app.models import Context, LtiUser

    lt = token_for(db.session.get(Context, course), db.session.get(LtiUser, earned.lti_user_id))
    assert client.get(f"/learner/accept/{lt}").status_code == 400
