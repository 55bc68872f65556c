"""What a repeat launch costs the database: the same learner launching again into the same
course (login, launch, landing page, over real HTTP from the sandbox LMS) runs at most four SQL
statements, and changes to registrations still take effect at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from app.extensions import db
from app.models import Context, Deployment, LtiUser, Registration, RegistrationStatus
from tests.factories import BadgeFactory, ColumnFactory, GradeFactory
from tests.support.lti_env import login_of, start_launch

# Transaction control is not a query (SQLite's BEGIN is sent as a statement, PostgreSQL's not).
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements the tool's engine runs inside the block (from any thread)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _launch(registered, browser, login: str):
    page = browser.walk(browser.get(start_launch(registered, "canvas", login)))
    assert page.status_code == 200, page.text[:500]
    assert page.url.startswith(registered.tool_url + "/course/learner")
    return page


def test_a_repeat_launch_runs_at_most_four_statements(registered, browser):
    login = login_of(registered, "canvas", "#Learner")
    _launch(registered, browser, login)  # the first launch creates the rows
    context = db.session.scalars(select(Context)).one()
    learner = db.session.scalars(select(LtiUser)).one()
    column = ColumnFactory(context=context, label="Quiz 1", score_maximum=10)
    GradeFactory(column=column, user=learner, score=7)
    BadgeFactory(
        context=context,
        name="Quiz master",
        enabled=True,
        criteria={"column": column.public_id, "min_percent": 90},  # 70 %: not yet earned
    )

    with statements() as seen:
        page = _launch(registered, browser, login)

    # The page did show the course's badge and the learner's progress toward it.
    assert "Quiz master" in page.text and "Quiz 1" in page.text
    assert len(seen) <= 4, "\n".join(seen)


def test_a_course_without_badges_reads_no_grades(registered, browser):
    login = login_of(registered, "canvas", "#Learner")
    _launch(registered, browser, login)
    context = db.session.scalars(select(Context)).one()
    learner = db.session.scalars(select(LtiUser)).one()
    GradeFactory(column=ColumnFactory(context=context, label="Quiz 1"), user=learner, score=7)

    with statements() as seen:
        page = _launch(registered, browser, login)

    assert "Your instructors have not published any badges here yet." in page.text
    assert len(seen) <= 3, "\n".join(seen)
    assert not any("grade" in statement.lower() for statement in seen), "\n".join(seen)


def test_a_disabled_registration_stops_the_next_launch_and_open_pages(registered, browser):
    login = login_of(registered, "canvas", "#Learner")
    page = _launch(registered, browser, login)
    issuer = registered.platforms["canvas"].issuer
    row = db.session.scalars(select(Registration).filter_by(issuer=issuer)).one()
    row.status = RegistrationStatus.DISABLED
    db.session.commit()

    refused = browser.walk(browser.get(start_launch(registered, "canvas", login)))
    assert refused.status_code == 403
    assert "registration_disabled" in refused.text
    reload = browser.get(page.url)
    assert reload.status_code == 403

    row.status = RegistrationStatus.ACTIVE
    db.session.commit()
    _launch(registered, browser, login)


def test_a_disabled_deployment_stops_the_next_launch(registered, browser):
    login = login_of(registered, "canvas", "#Learner")
    _launch(registered, browser, login)
    deployment = db.session.scalars(
        select(Deployment)
        .join(Registration)
        .where(Registration.issuer == registered.platforms["canvas"].issuer)
    ).one()
    deployment.status = RegistrationStatus.DISABLED
    db.session.commit()

    refused = browser.walk(browser.get(start_launch(registered, "canvas", login)))
    assert refused.status_code == 403
    assert "unknown_deployment" in refused.text
