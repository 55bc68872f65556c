"""A platform answering 500, timing out and sending 429 on its services: the sync job is
retried with back-off (Retry-After honoured), never crashes, and converges."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from huey.exceptions import RetryTask
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

import lti.services
from app.background import leases
from app.extensions import cache, db
from app.grades import jobs
from app.grades.columns import upsert_columns
from app.grades.models import Job, JobState
from app.i18n import in_english
from app.models import Context, Registration
from tests.factories import SyncJobFactory
from tests.grades.support import live_assertions, new_badge, new_course, sandbox_scores
from tests.support.live import serve


class FaultyProxy:
    """Forwards to the sandbox; the next requests get the scripted faults first."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults: list[str] = []
        self.released = threading.Event()  # set at the end: a "timeout" stops holding on

    def __call__(self, environ, start_response):
        request = Request(environ)
        fault = self.faults.pop(0) if self.faults else None
        if fault == "500":
            return Response("boom", 500)(environ, start_response)
        if fault == "429":
            return Response("slow down", 429, {"Retry-After": "7"})(environ, start_response)
        if fault == "timeout":
            self.released.wait(10)  # the client gives up after its read timeout (2 s)
        query = request.query_string.decode()
        upstream = requests.request(
            request.method,
            f"{self.target}{request.path}{'?' + query if query else ''}",
            data=request.get_data(),
            timeout=30,
            headers={
                k: v
                for k, v in request.headers.items()
                if k.lower() in ("authorization", "accept", "content-type")
            },
        )
        headers = {
            k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "link")
        }
        return Response(upstream.content, upstream.status_code, headers)(environ, start_response)


@pytest.fixture
def faulty(app, registered, browser, monkeypatch):
    course = new_course(registered, browser, learners=30)
    proxy = FaultyProxy(registered.sandbox_url)
    # Long enough that no healthy answer times out on a loaded machine (0.5 s once did:
    # an unscripted fifth attempt), short enough to keep the scripted timeout quick.
    monkeypatch.setattr(lti.services, "TIMEOUT", (2, 2))
    with serve(proxy, "127.0.0.1") as proxy_url:
        context = db.session.get(Context, course.context.id)
        for name in ("ags_endpoint", "nrps_endpoint"):
            endpoint = {
                k: v.replace(registered.sandbox_url, proxy_url) if isinstance(v, str) else v
                for k, v in getattr(context, name).items()
            }
            setattr(context, name, endpoint)
        db.session.commit()
        try:
            yield course, proxy
        finally:
            proxy.released.set()


def _drive(job_id: int) -> list[float]:
    """Run the job as the worker would, attempt after attempt; the retry delays it asked."""
    delays = []
    for _ in range(10):
        try:
            jobs.run(job_id)
        except RetryTask as retry:
            delays.append(retry.delay)
            continue
        return delays
    raise AssertionError("the job never finished")


def test_sync_survives_500_timeout_and_429(faulty):
    course, proxy = faulty
    services = lti.services.CourseServices(
        course.context, db.session.get(Registration, course.context.registration_id)
    )
    upsert_columns(course.context, services.line_items())
    db.session.commit()
    badge = new_badge(
        course.context, {"column": course.column("Exam").public_id, "min_percent": 60}
    )
    cache.clear()  # token requests go to the platform directly; faults hit the services
    proxy.faults = ["500", "timeout", "429"]
    job = SyncJobFactory(context=course.context)
    delays = _drive(job.id)
    done = db.session.get(Job, job.id)
    assert done.state == JobState.DONE and done.attempts == 4 and len(delays) == 3
    assert delays[2] >= 7  # the 429's Retry-After wins over the shorter back-off
    assert delays[1] > delays[0] * 1.2  # exponential (with ±20 % jitter)
    scores = sandbox_scores(course.env, course.info.line_item_ids[0])
    assert len(live_assertions(badge)) == sum(s >= 60 for s in scores.values())


def test_a_platform_that_keeps_failing_ends_in_the_dead_letters(faulty, app):
    course, proxy = faulty
    app.config["JOB_MAX_ATTEMPTS"] = 3
    try:
        proxy.faults = ["500"] * 10
        job = SyncJobFactory(context=course.context)
        assert len(_drive(job.id)) == 2
        dead = db.session.get(Job, job.id)
        assert dead.state == JobState.DEAD
        assert in_english(dead.last_error) == (
            "moodle had an internal error (HTTP 500) with the course roster."
        )
        assert [j.id for j in leases.dead(Job)] == [job.id]
    finally:
        app.config.pop("JOB_MAX_ATTEMPTS")


def test_the_staff_page_shows_the_last_sync_as_a_sentence(app, client, registered, browser):
    """A platform answering an HTML 404 page: the job and the staff page say which platform,
    what status and what to do, never the page itself; a later good check says succeeded."""
    course = new_course(registered, browser, "moodle", learners=3)
    context = db.session.get(Context, course.context.id)
    registration = db.session.get(Registration, context.registration_id)
    registration.name = "School Moodle"
    good = dict(context.ags_endpoint)
    context.ags_endpoint = {
        **good,
        "lineitems": registered.sandbox_url
        + "/moodle/mod/lti/services.php/999999/lineitems?type_id=1",
    }
    db.session.commit()

    client.post("/course/awards/sync", data={"lt": course.token})
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.state == JobState.DEAD and job.attempts == 1
    assert in_english(job.last_error) == (
        "School Moodle answered HTTP 404 for the gradebook columns: the course or column may "
        "have been removed. Open Badgebridge from the course again to refresh its links."
    )
    page = client.get(f"/course/awards/?lt={course.token}").get_data(as_text=True)
    shown = re.search(r'data-testid="last-sync"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "<strong>failed</strong>" in shown and "School Moodle answered HTTP 404" in shown
    assert "Gave up after 1 attempt; press Check now to try again." in shown
    assert "doctype" not in shown.lower()
    for raw in ("PlatformError", "Not Found", "999999"):  # nor anywhere else on the page
        assert raw not in page
    # In the reader's language, the platform's name as it is and the column phrase translated.
    page = client.get(f"/course/awards/?lt={course.token}&lang=es").get_data(as_text=True)
    shown = re.search(r'data-testid="last-sync"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert (
        "School Moodle respondió HTTP 404 para las columnas del libro de calificaciones: puede "
        "que el curso o la columna se hayan eliminado." in shown
    )
    assert "answered" not in shown and "gradebook" not in shown

    context = db.session.get(Context, course.context.id)
    context.ags_endpoint = good
    db.session.commit()
    client.post("/course/awards/sync", data={"lt": course.token})
    page = client.get(f"/course/awards/?lt={course.token}").get_data(as_text=True)
    shown = re.search(r'data-testid="last-sync"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "<strong>succeeded</strong>" in shown and "Read 1 column and 3 grades" in shown
