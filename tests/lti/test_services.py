"""AGS and NRPS calls with real OAuth 2 tokens against the sandbox platform, both flavours."""

from __future__ import annotations

import pytest

from app.extensions import cache, db
from app.models import Context, Registration
from lti.services import (
    CourseServices,
    PlatformError,
    ResultPages,
    add_path_segment,
    with_query,
)
from tests.support.lti_env import course_of, login_of, start_launch

FLAVOURS = ["moodle", "canvas"]


def _services(registered, browser, slug) -> CourseServices:
    login = login_of(registered, slug, "#Instructor")
    browser.walk(browser.get(start_launch(registered, slug, login)))
    context = Context.query.one()
    return CourseServices(context, db.session.get(Registration, context.registration_id))


@pytest.mark.parametrize("slug", FLAVOURS)
def test_line_items_and_results(registered, browser, slug):
    services = _services(registered, browser, slug)
    items = services.line_items()
    assert {i["label"] for i in items} >= {"Quiz 1", "Quiz 2", "Project"}
    quiz = next(i for i in items if i["label"] == "Quiz 1")
    results = services.results(quiz["id"]).decode()
    assert results, "the seeded course has scores"
    for result in results:
        assert result["userId"] and result["scoreOf"] == quiz["id"]
        assert 0 <= result["resultScore"] <= result["resultMaximum"]


@pytest.mark.parametrize("slug", ["canvas"])  # Moodle's results are read unpaged
def test_results_follow_paging(registered, browser, slug, monkeypatch):
    import lti.services

    services = _services(registered, browser, slug)
    quiz = next(i for i in services.line_items() if i["label"] == "Quiz 1")
    everything = services.results(quiz["id"]).decode()
    monkeypatch.setattr(lti.services, "PAGE_SIZE", 2)
    paged = services.results(quiz["id"]).decode()
    assert len(everything) > 2
    assert sorted(r["userId"] for r in paged) == sorted(r["userId"] for r in everything)


@pytest.mark.parametrize("slug", FLAVOURS)
def test_roster_with_names_emails_and_roles(registered, browser, slug, monkeypatch):
    import lti.services

    monkeypatch.setattr(lti.services, "PAGE_SIZE", 3)  # force several pages
    services = _services(registered, browser, slug)
    members = list(services.members())
    _cid, _title, people = course_of(registered, slug)
    assert len(members) == len(people)
    assert all(m["email"] and m["name"] for m in members)
    roles = [r for m in members for r in m["roles"]]
    if slug == "moodle":  # Moodle sends short role names in NRPS
        assert "Learner" in roles
    else:
        assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner" in roles


@pytest.mark.parametrize("slug", FLAVOURS)
def test_create_line_item(registered, browser, slug):
    services = _services(registered, browser, slug)
    created = services.create_line_item("Capstone project", 100, tag="badgebridge")
    assert created["label"] == "Capstone project" and created["scoreMaximum"] == 100
    assert "Capstone project" in {i["label"] for i in services.line_items()}


def test_access_token_is_cached_until_expiry(registered, browser):
    services = _services(registered, browser, "moodle")
    services.line_items()
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import AccessToken

    with session_scope(registered.sandbox) as s:
        before = s.query(AccessToken).count()
    services.line_items()
    list(services.members())  # another scope set: one more token
    services.line_items()
    with session_scope(registered.sandbox) as s:
        assert s.query(AccessToken).count() == before + 1


def test_platform_errors_are_typed(registered, browser):
    services = _services(registered, browser, "moodle")
    cache.clear()
    services.context.ags_endpoint = {
        **services.context.ags_endpoint,
        "lineitems": registered.sandbox_url + "/moodle/nope",
    }
    with pytest.raises(PlatformError) as info:
        services.line_items()
    assert info.value.status == 404 and not info.value.retryable


def test_url_helpers_keep_moodle_query_and_case():
    url = "http://m/mod/lti/services.php/2/lineitems/6/lineitem?type_id=4"
    assert add_path_segment(url, "results") == (
        "http://m/mod/lti/services.php/2/lineitems/6/lineitem/results?type_id=4"
    )
    assert with_query("http://m/CourseSection/2/bindings/4/memberships", limit=5) == (
        "http://m/CourseSection/2/bindings/4/memberships?limit=5"
    )


def test_results_follow_moodles_typographic_next_link(app):
    """Moodle's results endpoint writes rel=“next” (typographic quotes); all pages are read."""
    from flask import Flask, jsonify, request

    from app import outbound
    from lti.services import CachedTokenServiceConnector, CourseServices
    from lti.tool_conf import ToolRegistration
    from tests.support.live import serve

    fake = Flask("moodle-results")
    pages = {0: [{"userId": "1", "resultScore": 5}], 1: [{"userId": "2", "resultScore": 7}]}

    @fake.get("/mod/lti/services.php/2/lineitems/6/lineitem/results")
    def results():
        start = int(request.args.get("from", 0))
        response = jsonify(pages[start])
        if start == 0:
            nxt = request.base_url + "?type_id=4&limit=1&from=1"
            # As PHP sends it: the UTF-8 bytes of the typographic quotes, raw.
            response.headers["Link"] = f"<{nxt}>; rel=“next”".encode().decode("latin-1")
        return response

    with serve(fake, "127.0.0.1") as base:
        services = CourseServices.__new__(CourseServices)
        services.registration = Registration(name="A Moodle", issuer=base, ags_results_paging=True)
        services.context = type(
            "Ctx",
            (),
            {
                "ags_endpoint": {
                    "lineitems": base + "/mod/lti/services.php/2/lineitems?type_id=4",
                    "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"],
                }
            },
        )()
        connector = CachedTokenServiceConnector(
            ToolRegistration(), requests_session=outbound.session()
        )
        connector.get_access_token = lambda scopes: "token"
        services._connector = lambda: connector
        lineitem = base + "/mod/lti/services.php/2/lineitems/6/lineitem?type_id=4"
        assert [r["userId"] for r in services.results(lineitem).decode()] == ["1", "2"]


def test_result_pages_digest_their_bytes_and_refuse_what_is_not_json():
    pages = ResultPages("School Moodle", [b'[{"userId": "1"}]', b"", b'[{"userId": "2"}]'])
    assert pages.digest == ResultPages("School Moodle", list(pages.bodies)).digest
    assert [r["userId"] for r in pages.decode()] == ["1", "2"]
    assert pages.bodies == []  # let go once decoded
    # Where a page ends counts: the same bytes split elsewhere are other pages.
    assert ResultPages("x", [b"[1]", b"[2]"]).digest != ResultPages("x", [b"[1][", b"2]"]).digest
    with pytest.raises(PlatformError) as info:
        ResultPages("School Moodle", [b"<html>Fatal error</html>"]).decode()
    assert str(info.value) == (
        "School Moodle answered the request for the grades of a column with something that "
        "is not JSON."
    )
