"""AGS against the LMSs as they are, through the sandbox over real HTTP: Moodle 4.5's results
that cannot be paged, two registrations under one issuer (Canvas cloud), a token the platform
stops honouring, and failures that tell staff what happened without repeating the platform."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, select

import lti.services
from app.audit import SYSTEM
from app.extensions import db
from app.models import Context, Registration
from app.outbound import OutboundSession
from app.registrations.operations import PlatformSpec, save_platform
from lti.sandbox.seed import create_course, launch_url, platform_info, register_tool
from lti.services import CourseServices, PlatformError
from tests.grades.support import new_course, sandbox_scores


@pytest.fixture
def calls(monkeypatch):
    """Every request the tool's service clients send: (method, URL, status)."""
    seen: list[tuple[str, str, int]] = []
    send = OutboundSession.request

    def request(self, method, url, *args, **kwargs):
        response = send(self, method, url, *args, **kwargs)
        seen.append((method, url, response.status_code))
        return response

    monkeypatch.setattr(OutboundSession, "request", request)
    return seen


def _services(course) -> CourseServices:
    context = db.session.get(Context, course.context.id)
    return CourseServices(context, db.session.get(Registration, context.registration_id))


def _results_calls(calls):
    return [
        (urlsplit(url).query, status)
        for method, url, status in calls
        if method == "GET" and "/results" in url
    ]


def _exam(services: CourseServices) -> str:
    return next(i["id"] for i in services.line_items() if i["label"] == "Exam")


def test_moodle_results_are_read_unpaged_after_one_failure_and_remembered(
    app, registered, browser, calls
):
    """A Moodle registration the tool does not know as Moodle (imported from config.json):
    the paged request fails as on Moodle 4.5, one unpaged retry reads every grade, and the
    registration remembers it."""
    course = new_course(registered, browser, "moodle", learners=12)
    registration = db.session.get(Registration, course.context.registration_id)
    registration.product_family = ""
    db.session.commit()
    services = _services(course)
    exam = _exam(services)
    calls.clear()

    results = services.results(exam).decode()

    expected = sandbox_scores(registered, course.info.line_item_ids[0])
    assert {r["userId"]: r["resultScore"] for r in results} == expected
    tried = _results_calls(calls)
    assert [status for _q, status in tried] == [404, 200]
    assert "limit=1000" in tried[0][0] and "limit" not in tried[1][0]
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).ags_results_paging is False

    calls.clear()
    again = _services(course).results(exam).decode()
    assert len(again) == len(expected)
    assert [("limit" in q, status) for q, status in _results_calls(calls)] == [(False, 200)]


def test_a_known_moodle_is_never_asked_for_paged_results(app, registered, browser, calls):
    course = new_course(registered, browser, "moodle", learners=12)
    services = _services(course)
    exam = _exam(services)
    calls.clear()
    assert len(services.results(exam).decode()) == 12
    assert [("limit" in q, status) for q, status in _results_calls(calls)] == [(False, 200)]
    assert db.session.get(Registration, course.context.registration_id).ags_results_paging


def test_canvas_results_are_still_paged(app, registered, browser, calls, monkeypatch):
    monkeypatch.setattr(lti.services, "PAGE_SIZE", 5)
    course = new_course(registered, browser, "canvas", learners=12)
    services = _services(course)
    exam = _exam(services)
    calls.clear()
    assert len(services.results(exam).decode()) == 12
    tried = _results_calls(calls)
    assert len(tried) == 3 and all(status == 200 for _q, status in tried)
    assert all(
        parse_qs(q).get("per_page") == ["5"] or parse_qs(q).get("limit") == ["5"] for q, _s in tried
    )


def _second_canvas_key(env, browser):
    """A second developer key of the tool under the same Canvas issuer, its own deployment,
    and a course where only that key's tool is placed (launched once by its teacher)."""
    client_id = "10000000000002"
    deployment_id = "2:" + hashlib.sha1(b"sandbox:canvas:second-account").hexdigest()
    register_tool(
        env.sandbox,
        "canvas",
        env.tool_url,
        client_id=client_id,
        deployment_id=deployment_id,
        name="Badgebridge (second key)",
    )
    info = platform_info(env.sandbox, "canvas", client_id)
    save_platform(
        PlatformSpec(
            issuer=info.issuer,
            client_id=client_id,
            auth_login_url=info.auth_login_url,
            auth_token_url=info.auth_token_url,
            auth_audience=info.auth_audience,
            key_set_url=info.key_set_url,
            deployment_ids=(deployment_id,),
            name="Second school",
            product_family="canvas",
        ),
        actor=SYSTEM,
    )
    course = create_course(
        env.sandbox,
        "canvas",
        "Second school's course",
        learners=6,
        columns=(("Exam", 100.0),),
        score_fraction=1.0,
        client_id=client_id,
    )
    browser.walk(
        browser.get(
            launch_url(
                env.sandbox, "canvas", course.course_id, course.teacher_login, client_id=client_id
            )
        )
    )
    context = db.session.scalars(
        select(Context).where(Context.lti_context_id == course.context_id)
    ).one()
    return CourseServices(context, db.session.get(Registration, context.registration_id))


def test_two_registrations_of_one_issuer_each_use_their_own_token(app, registered, browser, calls):
    first = _services(new_course(registered, browser, "canvas", learners=6))
    second = _second_canvas_key(registered, browser)
    assert first.registration.issuer == second.registration.issuer
    assert first.registration.client_id != second.registration.client_id
    calls.clear()

    assert [i["label"] for i in first.line_items()] == ["Exam"]
    assert [i["label"] for i in second.line_items()] == ["Exam"]
    assert len(second.results(second.line_items()[0]["id"]).decode()) == 6

    token_requests = [url for method, url, _s in calls if method == "POST"]
    assert len(token_requests) == 2  # one token per client_id, then reused
    assert all(status == 200 for _m, _u, status in calls)


def test_a_refused_token_is_dropped_and_the_request_retried_once(app, registered, browser, calls):
    services = _services(new_course(registered, browser, "canvas", learners=6))
    services.line_items()
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import AccessToken

    with session_scope(registered.sandbox) as s:
        s.execute(delete(AccessToken))  # the platform forgets every token it gave
    calls.clear()

    assert [i["label"] for i in services.line_items()] == ["Exam"]
    assert [(m, s) for m, _u, s in calls] == [("GET", 401), ("POST", 200), ("GET", 200)]

    with session_scope(registered.sandbox) as s:
        s.execute(delete(AccessToken))
    calls.clear()
    services.line_items()  # the new token was cached: dropped and renewed again, once
    assert [(m, s) for m, _u, s in calls] == [("GET", 401), ("POST", 200), ("GET", 200)]


def test_failures_say_what_happened_without_the_platforms_body(app, registered, browser):
    course = new_course(registered, browser, "moodle", learners=3)
    services = _services(course)
    exam = _exam(services)
    registration = services.registration
    registration.name = "School Moodle"
    db.session.commit()
    # A paged request that fails both ways: the column id is not a column.
    broken = exam.replace(f"/lineitems/{course.info.line_item_ids[0]}/", "/lineitems/999999/")
    with pytest.raises(PlatformError) as info:
        services.results(broken)
    text = str(info.value)
    assert info.value.status == 404 and not info.value.retryable
    assert text.startswith("School Moodle answered HTTP 404 for the grades of a column")
    assert "Open Badgebridge from the course again" in text
    assert "Not Found" not in text and "<" not in text and "999999" not in text


def test_a_sync_job_reads_every_moodle_grade(app, registered, browser, calls):
    """The sync job (columns read in parallel) on a Moodle registration imported without its
    product family, as `flask lti import-config` makes the demo's: every grade arrives."""
    from app.grades import jobs
    from app.grades.models import Grade, JobState

    columns = (("Quiz 1", 10.0), ("Quiz 2", 10.0), ("Project", 100.0))
    course = new_course(registered, browser, "moodle", learners=10, columns=columns)
    registration = db.session.get(Registration, course.context.registration_id)
    registration.product_family = ""
    db.session.commit()
    job = jobs.request_job(jobs.SYNC, course.context.id, requested_by="test")
    assert db.session.get(type(job), job.id).state == JobState.DONE
    assert db.session.query(Grade).count() == 30
    assert db.session.get(Registration, registration.id).ags_results_paging is False
    paged = [q for q, status in _results_calls(calls) if "limit" in q]
    assert 1 <= len(paged) <= len(columns)  # columns already in flight may each try once


def test_a_refused_token_request_says_so(app, registered, browser):
    """The LMS admin turned the tool off: the token endpoint refuses, and the sentence sends
    staff to the registration, without the platform's error text."""
    from lti.sandbox.seed import deactivate_tool

    client_id, deployment_id = "sbxMoodleOther01", "7"
    register_tool(
        registered.sandbox,
        "moodle",
        registered.tool_url,
        client_id=client_id,
        deployment_id=deployment_id,
        name="Badgebridge (other type)",
    )
    info = platform_info(registered.sandbox, "moodle", client_id)
    save_platform(
        PlatformSpec(
            issuer=info.issuer,
            client_id=client_id,
            auth_login_url=info.auth_login_url,
            auth_token_url=info.auth_token_url,
            auth_audience=info.auth_audience,
            key_set_url=info.key_set_url,
            deployment_ids=(deployment_id,),
            name="Other Moodle",
            product_family="moodle",
        ),
        actor=SYSTEM,
    )
    course = create_course(
        registered.sandbox,
        "moodle",
        "Other type's course",
        learners=2,
        columns=(("Exam", 100.0),),
        client_id=client_id,
    )
    browser.walk(
        browser.get(
            launch_url(
                registered.sandbox,
                "moodle",
                course.course_id,
                course.teacher_login,
                client_id=client_id,
            )
        )
    )
    context = db.session.scalars(
        select(Context).where(
            Context.lti_context_id == course.context_id,
            Context.registration_id
            == db.session.scalar(
                select(Registration.id).where(Registration.client_id == client_id)
            ),
        )
    ).one()
    services = CourseServices(context, db.session.get(Registration, context.registration_id))
    deactivate_tool(registered.sandbox, "moodle", client_id)

    with pytest.raises(PlatformError) as info:
        services.line_items()
    assert info.value.status == 400 and not info.value.retryable
    assert str(info.value) == (
        "Other Moodle refused Badgebridge's request for an access token (HTTP 400). Ask the LMS "
        "administrator to check that the tool's registration is active and allows the grade "
        "and roster services."
    )
