"""The staff page follows a job it started without a reload by the user: while the worker has
not run it the page says so, and once the worker finishes the page shows what it did.

Tests run the queue in immediate mode, where a job is over before the page is drawn; here the
queue holds the job instead, and the test then runs it exactly as a worker does
(``app.grades.jobs.run``). Nothing is written by hand: the job is the one Check now made.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

WAIT = 60_000


@pytest.fixture
def held_queue():
    """Jobs wait in the queue (as behind a busy worker) instead of running inline."""
    from app.background.queue import huey

    huey.immediate = False
    try:
        yield huey
    finally:
        huey.storage.flush_queue()
        huey.immediate = True


def test_the_page_shows_a_running_check_and_its_outcome_without_a_reload(
    registered, chromium_context, held_queue
):
    from app.extensions import db
    from app.grades import jobs
    from app.grades.models import Job
    from lti.sandbox.seed import course_url, create_course

    course = create_course(
        registered.sandbox,
        "canvas",
        "Progress course",
        learners=3,
        tas=0,
        columns=(("Essay", 20.0),),
        score_fraction=1.0,
    )
    page = chromium_context.new_page()
    page.goto(course_url(registered.sandbox, "canvas", course.course_id, course.teacher_login))
    page.get_by_role("link", name="Badgebridge").first.click()
    tool = page.frame_locator("iframe.tool-frame")
    tool.locator('[data-testid="open-awards"]').click()
    tool.locator('[data-testid="check-now"]').click()

    status = tool.locator('[data-testid="job-status"]')
    status.wait_for(timeout=WAIT)
    assert status.inner_text() == "Waiting for the worker to start the gradebook check…"
    frame = next(f for f in page.frames if "job=" in f.url)
    job_id = parse_qs(urlsplit(frame.url).query)["job"][0]

    db.session.rollback()
    job = db.session.query(Job).filter_by(public_id=job_id).one()
    jobs.run(job.id)  # what the worker does with the queued job

    # The page polls the job's status and, once it has ended, shows the outcome, then reloads
    # to show what the job did: the outcome is in the page before the reload, the sync's time
    # only after it (read at once, the old page could still be there).
    tool.locator('[data-testid="job-status"]', has_text="Gradebook checked").wait_for(timeout=WAIT)
    assert "3 grades changed" in status.inner_text()
    synced = tool.locator('[data-testid="last-synced"]', has_not_text="Last synced: never")
    synced.wait_for(timeout=WAIT)
    assert synced.inner_text().startswith("Last synced: ")
