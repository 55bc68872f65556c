"""The OB 3.0 API as Service Consumer: a learner sends a badge from My badges to a host they
name (a live test server): discovery, dynamic registration, authorization code + PKCE in
their browser, then upsertCredential. Each failing step gets a clear message that never
quotes the host's body."""

from __future__ import annotations

import json
import re

import pytest
import requests

from app.extensions import db
from app.models import Ob3Host, Ob3Push
from app.openbadges import verify
from tests.factories import (
    AwardFactory,
    BadgeFactory,
    CourseFactory,
    PersonFactory,
    token_for,
)
from tests.ob3api.client import path
from tests.ob3api.host import MARKER, make_host
from tests.support.live import serve


@pytest.fixture
def learner(app):
    course = CourseFactory(title="Biology 101")
    ana = PersonFactory(course=course, name="Ana Lima", email="ana@example.org")
    assertion = AwardFactory(badge=BadgeFactory(context=course, name="Cells"), user=ana)
    return course, ana, assertion


def _send(client, course, user, assertion, host_url: str):
    return client.post(
        f"/learner/assertions/{assertion.public_id}/send",
        data={"lt": token_for(course, user), "host": host_url},
    )


def _browser_signs_in(client, page) -> object:
    """The learner's browser follows the sign-in link to the host and back to the tool."""
    url = re.search(r'href="([^"]+)"[^>]*data-testid="send-sign-in"', page.get_data(as_text=True))
    url = url.group(1).replace("&amp;", "&")
    at_host = requests.get(url, allow_redirects=False, timeout=30)
    assert at_host.status_code == 302
    return client.get(path(at_host.headers["Location"]))


def test_learner_sends_a_badge_to_a_host(client, learner):
    course, ana, assertion = learner
    received: list[dict] = []
    with serve(make_host(received), "127.0.0.1") as base:
        page = _send(client, course, ana, assertion, base)
        assert page.status_code == 200, page.get_data(as_text=True)
        done = _browser_signs_in(client, page)
        assert done.status_code == 200 and "Badge sent" in done.get_data(as_text=True)
        assert received == [assertion.credential]
        assert verify.verify(json.dumps(received[0])).valid  # the signed credential, intact
        # A second badge reuses the registration.
        second = AwardFactory(
            badge=BadgeFactory(issuer=assertion.badge.issuer, context=course, name="Genetics"),
            user=ana,
        )
        again = _send(client, course, ana, second, base)
        _browser_signs_in(client, again)
    assert db.session.query(Ob3Host).count() == 1
    pushes = db.session.query(Ob3Push).all()
    assert [p.status for p in pushes] == ["sent", "sent"]
    assert len(received) == 2
    # The callback's state is single-use.
    replay = client.get(
        "/ob3/consumer/callback", query_string={"state": pushes[0].state, "code": "x"}
    )
    assert replay.status_code == 502 and "expired or is already done" in replay.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("fail", "at", "message"),
    [
        ("discovery", "send", "offers no Open Badges 3.0 API at this address (HTTP 404"),
        ("register", "send", "refused to register Badgebridge (HTTP 400"),
        ("token", "callback", "refused the access token (HTTP 400"),
        ("upsert", "callback", "did not accept the badge (HTTP 400"),
    ],
)
def test_each_failing_step_is_named_without_the_hosts_body(client, learner, fail, at, message):
    course, ana, assertion = learner
    received: list[dict] = []
    with serve(make_host(received, fail=fail), "127.0.0.1") as base:
        page = _send(client, course, ana, assertion, base)
        final = page if at == "send" else _browser_signs_in(client, page)
    text = final.get_data(as_text=True)
    assert final.status_code == 502
    assert message in text
    assert MARKER not in text
    assert received == []


def test_refusals_before_anything_is_sent(client, learner, app):
    course, ana, assertion = learner
    received: list[dict] = []
    with serve(make_host(received, deny=True), "127.0.0.1") as base:
        denied = _browser_signs_in(client, _send(client, course, ana, assertion, base))
        assert "did not give access (access_denied)" in denied.get_data(as_text=True)
        # Another learner cannot send Ana's badge.
        ben = PersonFactory(course=course, name="Ben", email="ben@example.org")
        assert _send(client, course, ben, assertion, base).status_code == 404
        # Private addresses stay closed unless the deployment opens them.
        app.config["OUTBOUND_ALLOW_PRIVATE_NETWORKS"] = False
        try:
            closed = _send(client, course, ana, assertion, base.replace("127.0.0.1", "127.0.0.2"))
        finally:
            app.config["OUTBOUND_ALLOW_PRIVATE_NETWORKS"] = True
        assert closed.status_code == 502
        assert "could not be reached" in closed.get_data(as_text=True)
    assert _send(client, course, ana, assertion, "not a url at all").status_code == 502
    plain = _send(client, course, ana, assertion, "http://backpack.example.org")
    assert plain.status_code == 502 and "https address" in plain.get_data(as_text=True)
    assert received == []
