"""Canvas OAuth 2 end to end against the sandbox Canvas over real HTTP: an instructor
authorizes the course once (consent page, code, tokens), native grades and module completion
become badges, an access token that Canvas refuses mid-sync is refreshed, and a revoked
authorization gives staff the sentence saying how to authorize again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit import SYSTEM
from app.connectors.base import ConnectorError
from app.connectors.canvas_oauth import REAUTHORIZE, SCOPES, AuthorizationNeeded
from app.connectors.models import CanvasAuthorization, GradebookConnector
from app.connectors.operations import save_connector
from app.extensions import cache, db
from app.grades.models import Column, Grade
from app.grades.sync import sync_course
from app.i18n import shown
from lti.sandbox import seed
from tests.grades.support import live_assertions, new_badge, new_course


@pytest.fixture(autouse=True)
def _quick_back_off(app):
    app.config["CANVAS_THROTTLE_PAUSE_SECONDS"] = 0.02
    cache.clear()
    yield
    app.config.pop("CANVAS_THROTTLE_PAUSE_SECONDS", None)


def _oauth_course(registered, browser, *, enforce=True, key_scopes=SCOPES, learners=3):
    course = new_course(registered, browser, "canvas", learners=learners)
    app = registered.sandbox
    essay = seed.add_column(app, "canvas", course.info.course_id, "Essay 1", 100.0)
    client_id, secret = seed.create_developer_key(
        app,
        "canvas",
        f"{registered.tool_url}/connectors/canvas/callback",
        scopes=key_scopes,
        require_scopes=enforce,
    )
    save_connector(
        course.context.registration_id,
        kind="canvas",
        base_url=f"{registered.sandbox_url}/canvas",
        token=None,
        enabled=True,
        auth="oauth",
        client_id=client_id,
        client_secret=secret,
        enforce_scopes=enforce,
    )
    return course, essay


def _authorize(env, course, browser, decision: str = "accept"):
    """The instructor, signed in to Canvas, opens Authorize Canvas and answers the consent
    page; returns the tool's callback page."""
    s = browser.session
    s.get(seed.course_url(env.sandbox, "canvas", course.info.course_id, course.info.teacher_login))
    consent = s.get(f"{env.tool_url}/connectors/canvas/authorize", params={"lt": course.token})
    assert "is requesting access to your account" in consent.text, consent.text[:500]
    return s.post(consent.url, data={"decision": decision})


def _native(context_id: int) -> dict[str, Column]:
    return {
        c.label: c
        for c in db.session.scalars(
            select(Column).where(Column.context_id == context_id, Column.source == "canvas")
        )
    }


def _staff_page(env, course, browser) -> str:
    return browser.session.get(f"{env.tool_url}/course/staff", params={"lt": course.token}).text


def test_instructor_authorizes_and_a_native_grade_awards_a_badge(app, registered, browser):
    from app.awards.operations import badge_saved

    course, essay = _oauth_course(registered, browser)
    assert "Badgebridge needs your permission" in _staff_page(registered, course, browser)
    done = _authorize(registered, course, browser)
    assert done.status_code == 200 and "Canvas authorized" in done.text
    # Tokens are kept encrypted; the staff page names who authorized.
    auth = db.session.get(CanvasAuthorization, course.context.id)
    (token,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    assert token not in (auth.access_token_encrypted or "") and auth.refresh_token_encrypted
    assert "Authorized by" in _staff_page(registered, course, browser)
    # The course was named by $Canvas.course.id, not looked up by its LTI context id.
    assert course.context.lms_course_id == str(course.info.course_id)

    learner = course.info.learner_logins[0]
    seed.set_score(registered.sandbox, "canvas", course.info.course_id, essay, learner, 91.0)
    sync_course(course.context.id)
    columns = _native(course.context.id)
    badge = new_badge(course.context, {"column": columns["Essay 1"].public_id, "min_percent": 90})
    badge_saved(badge, SYSTEM)
    assert len(live_assertions(badge)) == 1


def test_an_access_token_refused_mid_sync_is_refreshed(app, registered, browser):
    course, essay = _oauth_course(registered, browser)
    _authorize(registered, course, browser)
    (first,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    # Canvas ends the token early (the tool still believes it has most of its hour): the
    # first request is refused with 401 + WWW-Authenticate, the tool refreshes and carries on.
    seed.expire_api_token(registered.sandbox, first)
    seed.set_score(
        registered.sandbox,
        "canvas",
        course.info.course_id,
        essay,
        course.info.learner_logins[1],
        70.0,
    )
    sync_course(course.context.id)
    (second,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    assert second != first
    grades = db.session.scalars(
        select(Grade).where(Grade.column_id == _native(course.context.id)["Essay 1"].id)
    ).all()
    assert [g.score for g in grades] == [70.0]
    # An access token past its expiry is refreshed before it is sent (no refused request).
    auth = db.session.get(CanvasAuthorization, course.context.id)
    auth.access_expires_at = auth.updated_at.replace(year=2000)
    db.session.commit()
    sync_course(course.context.id)
    (third,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    assert third not in (first, second)


def test_a_revoked_authorization_tells_staff_to_authorize_again(app, registered, browser):
    import requests

    course, _essay = _oauth_course(registered, browser)
    _authorize(registered, course, browser)
    (token,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    # The user deletes the token in Canvas (DELETE /login/oauth2/token): the refresh token
    # goes with it.
    gone = requests.delete(
        f"{registered.sandbox_url}/canvas/login/oauth2/token",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert gone.status_code == 200 and gone.json() == {}
    with pytest.raises(AuthorizationNeeded) as caught:
        sync_course(course.context.id)
    assert str(caught.value) == REAUTHORIZE
    page = _staff_page(registered, course, browser)
    assert "choose \u201cAuthorize Canvas\u201d on the course page to authorize it again" in page
    # The registration's connector is fine: the admin's console is not marked.
    assert db.session.get(GradebookConnector, course.context.registration_id).last_error is None
    # Authorizing again clears it.
    _authorize(registered, course, browser)
    sync_course(course.context.id)
    assert "Authorized by" in _staff_page(registered, course, browser)


def test_module_completion_becomes_a_column_a_badge_can_use(app, registered, browser):
    from app.awards.operations import badge_saved

    course, essay = _oauth_course(registered, browser)
    _authorize(registered, course, browser)
    sbx, cid = registered.sandbox, course.info.course_id
    module = seed.add_module(
        sbx,
        "canvas",
        cid,
        "Week 1",
        [("Essay 1", essay, "min_score", 80.0), ("Reading", None, "must_mark_done", None)],
    )
    seed.add_module(sbx, "canvas", cid, "Welcome", [("Syllabus", None, None, None)])
    first, second = course.info.learner_logins[:2]
    for login in (first, second):
        seed.set_score(sbx, "canvas", cid, essay, login, 90.0)
    seed.mark_done(sbx, "canvas", module, "Reading", first)
    sync_course(course.context.id)
    columns = _native(course.context.id)
    # Only the module with requirements is a column; a module without them is not.
    assert "Week 1 (module completed)" in columns
    assert not any(label.startswith("Welcome") for label in columns)
    week = columns["Week 1 (module completed)"]
    scores = sorted(
        g.score for g in db.session.scalars(select(Grade).where(Grade.column_id == week.id))
    )
    assert scores == [0.0, 0.0, 100.0]
    badge = new_badge(course.context, {"column": week.public_id, "min_percent": 100})
    badge_saved(badge, SYSTEM)
    assert [a.recipient_name for a in live_assertions(badge)] != []
    assert len(live_assertions(badge)) == 1
    # Completing it later is one changed grade, and a second award.
    seed.mark_done(sbx, "canvas", module, "Reading", second)
    assert sync_course(course.context.id).passed.changed == 1
    assert len(live_assertions(badge)) == 2


def test_declining_and_replaying_are_explained(app, registered, browser):
    course, _essay = _oauth_course(registered, browser)
    denied = _authorize(registered, course, browser, decision="deny")
    assert denied.status_code == 400 and "You chose Cancel in Canvas" in denied.text
    code_like = denied.url.replace("error=access_denied", "code=x")
    replay = browser.session.get(code_like)  # the same state a second time
    assert replay.status_code == 400 and "already used" in replay.text


def test_a_key_that_does_not_allow_the_scopes_is_explained(app, registered, browser):
    course, _essay = _oauth_course(registered, browser, key_scopes=SCOPES[:2])
    s = browser.session
    s.get(
        seed.course_url(
            registered.sandbox, "canvas", course.info.course_id, course.info.teacher_login
        )
    )
    page = s.get(f"{registered.tool_url}/connectors/canvas/authorize", params={"lt": course.token})
    assert page.status_code == 400
    assert "enforces scopes that do not match" in page.text


def test_moodle_course_id_comes_from_the_custom_parameter(app, registered, browser):
    # The README's line in the Moodle tool's "Custom parameters": course_id=$Context.id
    before = seed.set_tool_custom(registered.sandbox, "moodle", seed.MOODLE_CUSTOM)
    try:
        course = new_course(registered, browser, "moodle", learners=1)
    finally:
        seed.set_tool_custom(registered.sandbox, "moodle", before)
    assert course.context.lms_course_id == str(course.info.course_id)
    # Without it, nothing is invented: the context id stays the way to the course.
    db.session.rollback()  # a fresh read of what the next launch writes
    plain = new_course(registered, browser, "moodle", learners=1)
    assert plain.context.lms_course_id is None


def test_a_token_missing_a_scope_is_named(app, registered, browser):
    import json

    from lti.sandbox.db import session_scope
    from lti.sandbox.models import ApiToken

    course, _essay = _oauth_course(registered, browser)
    _authorize(registered, course, browser)
    (token,) = seed.oauth_tokens_of(registered.sandbox, "canvas", course.info.teacher_login)
    with session_scope(registered.sandbox) as s:  # as if the key lost the modules scope
        row = s.get(ApiToken, token)
        row.scopes_json = json.dumps([sc for sc in SCOPES if "modules" not in sc])
    with pytest.raises(ConnectorError) as caught:
        sync_course(course.context.id)
    assert "enforces scopes and the authorization lacks one" in str(caught.value)
    connector = db.session.get(GradebookConnector, course.context.registration_id)
    db.session.refresh(connector)
    assert shown(connector.last_error) == str(caught.value)  # the admin's console says it too
