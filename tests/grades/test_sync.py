"""AGS/NRPS sync through the award pipeline, against the sandbox platform over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit import SYSTEM
from app.awards.models import OutboxMessage, OutboxState
from app.extensions import db
from app.grades import jobs
from app.grades.models import Grade, Job, JobState
from app.grades.sync import sync_course
from app.models import LtiUser, Membership
from lti.sandbox.seed import set_score
from tests.grades.support import live_assertions, new_badge, new_course, sandbox_scores


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_cohort_of_200_at_the_threshold(app, registered, browser, slug):
    course = new_course(registered, browser, slug, learners=200)
    sync_course(course.context.id)  # columns first, so the criteria can name one
    exam = course.column("Exam")
    badge = new_badge(course.context, {"column": exam.public_id, "min_percent": 70})

    first = sync_course(course.context.id)
    assert first.passed.changed == 0  # grades were stored by the first sync
    from app.awards.operations import badge_saved

    # Enabling evaluates existing grades retroactively (immediate queue).
    badge_saved(badge, SYSTEM)
    scores = sandbox_scores(registered, course.info.line_item_ids[0])
    expected = {sub for sub, score in scores.items() if score >= 70}
    assert 0 < len(expected) < 200
    holders = {a.lti_user_id for a in live_assertions(badge)}
    subs = set(db.session.scalars(select(LtiUser.sub).where(LtiUser.id.in_(holders))))
    assert subs == expected
    assert _count(OutboxMessage) == len(expected)
    assert _count(OutboxMessage, OutboxMessage.state == OutboxState.SENT) == len(expected)

    again = sync_course(course.context.id)
    assert (again.passed.changed, again.passed.issued) == (0, 0)
    assert len(live_assertions(badge)) == len(expected)

    below = next(sub for sub, score in scores.items() if score < 70)
    set_score(
        registered.sandbox,
        slug,
        course.info.course_id,
        course.info.line_item_ids[0],
        _login(registered, slug, below),
        95.0,
        "regraded",
    )
    third = sync_course(course.context.id)
    assert (third.passed.changed, third.passed.issued) == (1, 1)
    assert len(live_assertions(badge)) == len(expected) + 1


def _login(env, slug, sub):
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Platform, User

    with session_scope(env.sandbox) as s:
        platform = s.scalars(select(Platform).where(Platform.slug == slug)).one()
        return s.scalars(
            select(User.login).where(User.platform_id == platform.id, User.lti_id == sub)
        ).one()


def test_unchanged_sync_writes_nothing(app, registered, browser):
    course = new_course(registered, browser, learners=30)
    sync_course(course.context.id)
    grades = db.session.execute(select(Grade.id, Grade.updated_at)).all()
    from sqlalchemy import event

    writes = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sync_course(course.context.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert writes == []
    assert db.session.execute(select(Grade.id, Grade.updated_at)).all() == grades


def test_learner_removed_from_roster_keeps_badges(app, registered, browser):
    course = new_course(registered, browser, learners=10)
    sync_course(course.context.id)
    badge = new_badge(course.context, {"column": course.column("Exam").public_id, "min_percent": 0})
    from app.awards.operations import badge_saved

    badge_saved(badge, SYSTEM)
    holders = live_assertions(badge)
    assert len(holders) == 10
    gone = holders[0].lti_user_id
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Enrollment, User

    sub = db.session.get(LtiUser, gone).sub
    with session_scope(registered.sandbox) as s:
        user = s.scalars(select(User).where(User.lti_id == sub)).first()
        s.query(Enrollment).filter_by(course_id=course.info.course_id, user_id=user.id).delete()
    sync_course(course.context.id)
    membership = db.session.scalars(
        select(Membership).where(
            Membership.context_id == course.context.id, Membership.user_id == gone
        )
    ).one()
    assert membership.active is False
    assert len(live_assertions(badge)) == 10  # revocation is only explicit


def test_launch_schedules_a_background_sync(app, registered, browser):
    course = new_course(registered, browser, learners=3)
    queued = db.session.scalars(select(Job).where(Job.context_id == course.context.id)).all()
    assert [(j.kind, j.state, j.requested_by) for j in queued] == [
        (jobs.SYNC, JobState.QUEUED, "launch")
    ]
    jobs.run(queued[0].id)  # what the worker does once the short delay has passed
    assert db.session.get(Job, queued[0].id).state == JobState.DONE
    assert jobs.last_synced(course.context.id) is not None


def test_roster_never_demotes_staff_a_launch_showed(app, registered, browser):
    """Moodle launches a non-editing teacher as membership#Instructor while its NRPS roster
    calls them Learner: after a sync they are still staff. A second one who never launched
    is what the roster says until their first launch."""
    from lti.sandbox.seed import create_course, launch_url

    info = create_course(
        registered.sandbox, "moodle", "Roles course", learners=4, tas=2, columns=(("Exam", 100.0),)
    )
    tas = _tas(registered, info.course_id)
    for login in (info.teacher_login, tas[0]):
        browser.walk(browser.get(launch_url(registered.sandbox, "moodle", info.course_id, login)))
    context_id = db.session.scalar(select(Membership.context_id).limit(1))

    def staff() -> dict[str, bool]:
        db.session.expire_all()
        return dict(
            db.session.execute(
                select(LtiUser.name, Membership.is_staff)
                .join(Membership)
                .where(Membership.context_id == context_id, Membership.is_staff.is_(True))
            ).all()
        )

    launched = staff()
    assert len(launched) == 2
    sync_course(context_id)
    assert staff() == launched  # the launched TA stays staff; the other is a roster Learner
    assert _count(Membership, Membership.context_id == context_id) == 1 + 2 + 4
    ta_roles = db.session.scalars(
        select(Membership.roles).where(
            Membership.context_id == context_id, Membership.is_staff.is_(True)
        )
    ).all()
    assert all(
        roles == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
        for roles in ta_roles
    )

    browser.walk(browser.get(launch_url(registered.sandbox, "moodle", info.course_id, tas[1])))
    sync_course(context_id)
    assert len(staff()) == 3


def _tas(env, course_id: int) -> list[str]:
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Enrollment, User

    with session_scope(env.sandbox) as s:
        return list(
            s.scalars(
                select(User.login)
                .join(Enrollment)
                .where(Enrollment.course_id == course_id, Enrollment.role == "ta")
                .order_by(User.id)
            )
        )


def test_grade_from_elsewhere_is_compared_again_at_the_next_sync(app, registered, browser):
    # An unchanged column is skipped by its results' digest; a grade another source wrote in
    # it (here a CSV grade stamped with the platform's own time) must not survive the next
    # sync unseen: the platform's result wins again, as it did before digests existed.
    from app.awards.pipeline import ingest
    from app.grades.operations import GradeEvent

    course = new_course(registered, browser, learners=5)
    sync_course(course.context.id)
    column = course.column("Exam")
    grade = db.session.scalars(select(Grade).where(Grade.column_id == column.id)).first()
    platform_score, user_id, stamp = grade.score, grade.user_id, grade.timestamp
    event = GradeEvent(
        course.context.id, column.id, user_id, platform_score / 2, 100.0, stamp, "csv"
    )
    assert ingest([event]).changed == 1

    def score() -> float:
        db.session.expire_all()
        return db.session.scalars(
            select(Grade.score).where(Grade.column_id == column.id, Grade.user_id == user_id)
        ).one()

    assert score() == platform_score / 2
    assert sync_course(course.context.id).passed.changed == 1
    assert score() == platform_score
    assert sync_course(course.context.id).passed.changed == 0


def test_a_sync_keeps_at_most_its_reading_threads_columns_besides_the_one_it_stores(
    app, registered, browser, monkeypatch
):
    """Each column's results are kept (compact) until stored, then dropped; a column is asked
    for only when one is handed on, so however many columns a course has, at most
    FETCH_THREADS wait while one is stored. (While the course is evaluated the threads may
    read on up to READ_AHEAD_RESULTS results: none here, to see the bound outside it.)"""
    import gc

    from app.grades import sync

    monkeypatch.setattr(sync, "READ_AHEAD_RESULTS", 0)

    columns = tuple((f"Quiz {n}", 10.0) for n in range(7))
    course = new_course(registered, browser, "moodle", learners=4, columns=columns)
    alive: list[int] = []
    store = sync._store_column

    def counting(*args: Any) -> int:
        # A slow store: meanwhile both threads finish their reads, so the next columns
        # arrive together (where one handed-on column had stayed referenced too long).
        time.sleep(0.2)
        gc.collect()
        alive.append(sum(isinstance(o, sync.ColumnResults) for o in gc.get_objects()))
        return store(*args)

    monkeypatch.setattr(sync, "_store_column", counting)
    result = sync.sync_course(course.context.id)

    assert result.results == 4 * len(columns) and len(alive) == len(columns)
    assert max(alive) <= sync.FETCH_THREADS + 1
    gc.collect()
    assert not any(isinstance(o, sync.ColumnResults) for o in gc.get_objects())


def _decoded(monkeypatch) -> list[int]:
    """Counts the results pages a sync decodes (one entry, its result count, per column)."""
    from lti.services import ResultPages

    decoded: list[int] = []
    decode = ResultPages.decode

    def counting(pages: ResultPages) -> list[dict[str, Any]]:
        decoded.append(len(results := decode(pages)))
        return results

    monkeypatch.setattr(ResultPages, "decode", counting)
    return decoded


def test_a_column_sent_as_the_same_bytes_is_not_decoded(app, registered, browser, monkeypatch):
    columns = (("Exam", 100.0), ("Quiz", 10.0))
    course = new_course(registered, browser, "canvas", learners=6, columns=columns)
    decoded = _decoded(monkeypatch)
    first = sync_course(course.context.id)
    assert sorted(decoded) == [6, 6] and first.passed.changed == 12

    decoded.clear()
    again = sync_course(course.context.id)
    assert decoded == [] and (again.results, again.passed.changed) == (12, 0)

    quiz = course.column("Quiz")
    sub = db.session.scalars(
        select(LtiUser.sub).join(Grade).where(Grade.column_id == quiz.id).order_by(LtiUser.id)
    ).first()
    set_score(
        registered.sandbox,
        "canvas",
        course.info.course_id,
        course.info.line_item_ids[1],
        _login(registered, "canvas", sub),
        1.0,
        "regraded",
    )
    third = sync_course(course.context.id)
    assert decoded == [6] and (third.results, third.passed.changed) == (12, 1)
    assert db.session.scalars(
        select(Grade.score).join(LtiUser).where(Grade.column_id == quiz.id, LtiUser.sub == sub)
    ).one() == pytest.approx(1.0)


def test_new_bytes_with_the_same_results_leave_a_column_unchanged(
    app, registered, browser, monkeypatch
):
    """A platform may send the same results in other bytes (here: a trailing space): they
    are decoded, found equal by their digest, nothing is stored, and the new bytes are
    remembered so the next sync skips them undecoded."""
    from lti.services import CourseServices, ResultPages

    course = new_course(registered, browser, learners=5)
    sync_course(course.context.id)
    grades = db.session.execute(select(Grade.id, Grade.updated_at)).all()
    read = CourseServices.results

    def respaced(services: CourseServices, url: str) -> ResultPages:
        pages = read(services, url)
        return ResultPages(pages.platform, [body + b" " for body in pages.bodies])

    monkeypatch.setattr(CourseServices, "results", respaced)
    decoded = _decoded(monkeypatch)
    again = sync_course(course.context.id)
    assert decoded == [5] and (again.results, again.passed.changed) == (5, 0)
    assert db.session.execute(select(Grade.id, Grade.updated_at)).all() == grades
    decoded.clear()
    assert sync_course(course.context.id).results == 5 and decoded == []
