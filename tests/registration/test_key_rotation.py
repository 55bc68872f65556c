"""Key rotation end to end against the sandbox LMS over HTTP, both flavours.

``lti.keys.rotate()`` between steps: launches, deep linking responses and AGS/NRPS service
tokens keep working, because the tool publishes the new key before signing with it and the
platform fetches the key set again on an unknown ``kid``. When the overlap ends the old key
leaves the key set, and nothing the platform needs is signed with it any more.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import jwt
import pytest
import requests
from sqlalchemy import select

from app.extensions import cache, db
from app.models import Context, Registration
from lti import keys
from lti.services import CourseServices
from tests.support.browser import parse
from tests.support.lti_env import login_of, start_launch

FLAVOURS = ["moodle", "canvas"]


class CountingSession(requests.Session):
    """The sandbox's HTTP client for tools' key sets, counting what it fetches."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []

    def get(self, url, **kwargs):  # type: ignore[override]
        self.fetched.append(url)
        return super().get(url, **kwargs)


@pytest.fixture
def key_fetches(registered, monkeypatch):
    """Count the sandbox's key set fetches, starting from an empty cache (as if the platform
    had just been set up)."""
    from lti.sandbox import keys as sandbox_keys

    counting = CountingSession()
    monkeypatch.setitem(
        registered.sandbox.extensions,
        "lti_sandbox_keysets",
        sandbox_keys.ToolKeySets(counting, ttl=3600),
    )
    return counting


def _release() -> None:
    """End the test thread's transaction: under SQLite it holds the write lock the tool's
    server thread needs for the next HTTP request."""
    db.session.rollback()


def _launch(env, browser, slug: str) -> None:
    login = login_of(env, slug, "#Instructor")
    final = browser.walk(browser.get(start_launch(env, slug, login)))
    assert final.status_code == 200, final.text[:500]
    assert final.url.startswith(env.tool_url + "/course/staff")


def _deep_link(env, browser, slug: str) -> None:
    """An instructor's deep linking round trip; the sandbox verifies the tool's signature."""
    login = login_of(env, slug, "#Instructor")
    url = start_launch(
        env,
        slug,
        login,
        message_type="LtiDeepLinkingRequest",
        placement="link_selection" if slug == "canvas" else None,
    )
    picker = browser.walk(browser.get(url))
    assert picker.url.startswith(env.tool_url + "/lti/deep-link"), picker.text[:500]
    returned = browser.walk(browser.submit(parse(picker.text).forms[0], picker.url))
    assert returned.status_code == 200, returned.text[:800]
    assert returned.url.startswith(env.sandbox_url)


def _members(env, slug: str) -> int:
    """NRPS with a fresh access token (a new client assertion signed with today's key)."""
    cache.clear()  # drop cached access tokens: the next call must authenticate again
    issuer = env.platforms[slug].issuer
    registration = db.session.scalars(select(Registration).filter_by(issuer=issuer)).one()
    context = db.session.scalars(select(Context).filter_by(registration_id=registration.id)).first()
    count = len(list(CourseServices(context, registration).members()))
    _release()
    return count


def _active_kid() -> str:
    kid = keys.active_key().kid
    _release()
    return kid


@pytest.mark.parametrize("slug", FLAVOURS)
def test_everything_keeps_working_across_a_rotation(registered, browser, key_fetches, slug):
    _launch(registered, browser, slug)
    old_kid = _active_kid()
    members = _members(registered, slug)
    assert members > 0
    _deep_link(registered, browser, slug)
    fetched_before = len(key_fetches.fetched)
    assert fetched_before >= 1

    keys.rotate()
    new_kid = _active_kid()
    assert new_kid != old_kid
    published = {
        k["kid"]
        for k in requests.get(registered.tool_url + "/lti/jwks.json", timeout=10).json()["keys"]
    }
    assert {old_kid, new_kid} <= published  # the old key keeps verifying during the overlap

    _launch(registered, browser, slug)
    _deep_link(registered, browser, slug)  # signed with the new key
    # The platform had cached the old key set: the unknown kid made it fetch it again.
    assert len(key_fetches.fetched) == fetched_before + 1
    assert _members(registered, slug) == members  # client assertion signed with the new key
    assert len(key_fetches.fetched) == fetched_before + 1  # the refreshed set had it


@pytest.mark.parametrize("slug", FLAVOURS)
def test_after_the_overlap_the_old_key_is_gone_and_not_needed(
    registered, browser, key_fetches, monkeypatch, slug
):
    from lti.sandbox import keys as sandbox_keys

    _launch(registered, browser, slug)
    old = keys.active_key()
    old_kid, old_pem = old.kid, keys.private_pem(old)
    _release()
    _members(registered, slug)

    keys.rotate(overlap=timedelta(seconds=0))
    new_kid = _active_kid()
    published = {
        k["kid"]
        for k in requests.get(registered.tool_url + "/lti/jwks.json", timeout=10).json()["keys"]
    }
    assert published == {new_kid}  # retired: no longer published

    # A platform that still caches the old set and one that fetches the new one both work:
    # everything is signed with the new key now.
    _launch(registered, browser, slug)
    _deep_link(registered, browser, slug)
    assert _members(registered, slug) > 0
    fresh = CountingSession()
    monkeypatch.setitem(
        registered.sandbox.extensions,
        "lti_sandbox_keysets",
        sandbox_keys.ToolKeySets(fresh, ttl=3600),
    )
    _deep_link(registered, browser, slug)
    assert _members(registered, slug) > 0
    assert fresh.fetched  # it only knows the current key set

    # Something signed with the retired key is refused by a platform with the current set.
    info = registered.platforms[slug]
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": info.client_id,
            "sub": info.client_id,
            "aud": info.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        },
        old_pem,
        algorithm="RS256",
        headers={"kid": old_kid},
    )
    refused = requests.post(
        info.auth_token_url,
        timeout=10,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        },
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client"
