"""Real launches from the sandbox LMS over HTTP: both flavours, staff and learner, deep links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Context, LtiUser, Membership
from tests.support.browser import parse
from tests.support.lti_env import course_of, login_of, start_launch

FLAVOURS = ["moodle", "canvas"]


@pytest.mark.parametrize("slug", FLAVOURS)
@pytest.mark.parametrize(
    ("role", "page", "shown"),
    [
        ("#Instructor", "/course/staff", "Staff"),
        ("#TeachingAssistant", "/course/staff", "Staff"),
        ("#Learner", "/course/learner", "Learner"),
    ],
)
def test_resource_link_launch_lands_on_role_page(registered, browser, slug, role, page, shown):
    login = login_of(registered, slug, role)
    final = browser.walk(browser.get(start_launch(registered, slug, login)))
    assert final.status_code == 200, final.text[:500]
    assert final.url.startswith(registered.tool_url + page)
    assert f'data-testid="role">{shown}<' in final.text
    _cid, title, _people = course_of(registered, slug)
    assert title in final.text


@pytest.mark.parametrize("slug", FLAVOURS)
def test_launch_stores_course_person_and_role(registered, browser, slug):
    login = login_of(registered, slug, "#Learner")
    browser.walk(browser.get(start_launch(registered, slug, login)))
    context = Context.query.one()
    _cid, title, _ = course_of(registered, slug)
    assert context.title == title
    assert context.ags_endpoint["lineitems"].startswith(registered.sandbox_url + "/" + slug)
    assert context.nrps_endpoint["context_memberships_url"]
    user = LtiUser.query.one()
    assert user.issuer == registered.platforms[slug].issuer
    assert user.email and "@" in user.email and user.name
    assert Membership.query.one().is_staff is False


@pytest.mark.parametrize("slug", FLAVOURS)
def test_deep_linking_returns_a_badges_resource_link(registered, browser, slug):
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import ResourceLink

    with session_scope(registered.sandbox) as s:
        before = len(s.scalars(select(ResourceLink)).all())
    login = login_of(registered, slug, "#Instructor")
    url = start_launch(
        registered,
        slug,
        login,
        message_type="LtiDeepLinkingRequest",
        placement="link_selection" if slug == "canvas" else None,
    )
    picker = browser.walk(browser.get(url))
    assert picker.url.startswith(registered.tool_url + "/lti/deep-link")
    form = parse(picker.text).forms[0]
    returned = browser.walk(browser.submit(form, picker.url))
    assert returned.status_code == 200, returned.text[:500]
    assert returned.url.startswith(registered.sandbox_url)
    with session_scope(registered.sandbox) as s:
        links = s.scalars(select(ResourceLink).order_by(ResourceLink.id)).all()
        assert len(links) == before + 1
        assert links[-1].title == "Badges"
        assert links[-1].url == registered.tool_url + "/lti/launch"


def test_learner_cannot_deep_link(registered, browser):
    login = login_of(registered, "moodle", "#Learner")
    url = start_launch(registered, "moodle", login, message_type="LtiDeepLinkingRequest")
    final = browser.walk(browser.get(url))
    assert final.status_code == 403
    assert "Only course staff" in final.text


def test_launch_after_the_platform_rotates_its_key(registered, browser):
    """The tool caches the platform's key set; a new kid makes it fetch the set again."""
    from lti.sandbox.seed import rotate_platform_key

    login = login_of(registered, "canvas", "#Instructor")
    first = browser.walk(browser.get(start_launch(registered, "canvas", login)))
    assert first.status_code == 200  # the key set is now cached by the tool
    rotate_platform_key(registered.sandbox, "canvas")
    second = browser.walk(browser.get(start_launch(registered, "canvas", login)))
    assert second.status_code == 200, second.text[:400]
    assert 'data-testid="role">Staff<' in second.text


def test_a_repeat_launch_reads_the_key_set_this_process_holds(registered, browser, monkeypatch):
    """The platform's key set is held by the process with the registrations: a repeat launch
    does not read the shared cache for it, and a rotation still fetches the new set."""
    from lti import key_sets
    from lti.sandbox.seed import rotate_platform_key

    login = login_of(registered, "canvas", "#Learner")
    # The first launch teaches the registration the platform's name: a registration change,
    # after which the process reads the registrations (and the key set) again.
    for _ in range(2):
        page = browser.walk(browser.get(start_launch(registered, "canvas", login)))
        assert page.status_code == 200
    reads: list[str] = []
    fetch = key_sets.cached_fetch
    monkeypatch.setattr(
        key_sets, "cached_fetch", lambda url, *args: reads.append(url) or fetch(url, *args)
    )
    assert browser.walk(browser.get(start_launch(registered, "canvas", login))).status_code == 200
    assert reads == []
    rotate_platform_key(registered.sandbox, "canvas")
    assert browser.walk(browser.get(start_launch(registered, "canvas", login))).status_code == 200
    assert len(reads) == 1


def test_a_plain_get_on_the_launch_url_gets_a_short_page(registered):
    """Moodle sends a plain GET to the launch URL when an activity is saved (its URL check):
    a friendly 200, not a 405, and nothing recorded."""
    import requests

    from app.models import Context

    response = requests.get(registered.tool_url + "/lti/launch", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "This is Badgebridge's launch address" in response.text
    assert "open it from your course" in response.text
    assert Context.query.count() == 0


@pytest.mark.parametrize("slug", FLAVOURS)
def test_a_launch_teaches_a_registration_its_product_family(registered, browser, slug):
    """A registration imported without its LMS family (config.json) learns it from the signed
    launch, so the Moodle quirks (unpaged results) apply before a request fails."""
    from app.extensions import db
    from app.models import Registration

    for row in Registration.query.all():
        row.product_family = ""
    db.session.commit()
    login = login_of(registered, slug, "#Learner")
    browser.walk(browser.get(start_launch(registered, slug, login)))
    db.session.expire_all()
    issuer = registered.platforms[slug].issuer
    row = db.session.scalar(select(Registration).where(Registration.issuer == issuer))
    assert row.product_family == slug
