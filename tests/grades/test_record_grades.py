"""Storing grade events: what ``record_grades`` writes is what the ORM would have written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import String, cast, select

from app.extensions import db
from app.grades.models import Grade
from app.grades.operations import GradeEvent, record_grades
from tests.factories import ColumnFactory, GradeFactory, PersonFactory

BERLIN = timezone(timedelta(hours=2))


def _stored(grade_id: int) -> tuple[object, ...]:
    # The raw stored text of the timestamp, not the value read back through the column type.
    row = db.session.execute(
        select(
            Grade.score, Grade.maximum, Grade.comment, Grade.source, cast(Grade.timestamp, String)
        ).where(Grade.id == grade_id)
    ).one()
    return tuple(row)


def test_record_grades_stores_what_the_orm_stores_and_only_once(app):
    column = ColumnFactory()
    learner, other = PersonFactory(), PersonFactory()
    given = datetime(2026, 3, 1, 12, 30, 5, 250, tzinfo=BERLIN)
    reference = GradeFactory(
        column=column, user=other, score=7.5, maximum=10.0, timestamp=given, comment="ok"
    )
    event = GradeEvent(column.context_id, column.id, learner.id, 7.5, 10.0, given, "ags", "ok")

    assert record_grades([event]) == [event]
    db.session.commit()
    grade = db.session.scalars(select(Grade).where(Grade.user_id == learner.id)).one()
    assert grade.timestamp == given
    assert _stored(grade.id) == _stored(reference.id)

    assert record_grades([event]) == []  # idempotent: nothing changed, nothing written

    later = GradeEvent(
        column.context_id, column.id, learner.id, 9.0, 10.0, given + timedelta(days=1), "csv"
    )
    assert record_grades([later]) == [later]
    db.session.commit()
    db.session.expire_all()
    assert (grade.score, grade.timestamp, grade.comment, grade.source) == (
        9.0,
        given + timedelta(days=1),
        None,
        "csv",
    )


def test_record_grades_twice_in_one_transaction_stores_each_once(app):
    # PostgreSQL stages the rows in a session table: a second call in the same transaction
    # must not upsert the first call's rows again.
    column = ColumnFactory()
    learner, other = PersonFactory(), PersonFactory()
    given = datetime(2026, 3, 1, 12, 30, tzinfo=BERLIN)
    first = GradeEvent(column.context_id, column.id, learner.id, 5.0, 10.0, given, "ags")
    second = GradeEvent(column.context_id, column.id, other.id, 6.0, 10.0, given, "ags")
    newer = GradeEvent(
        column.context_id, column.id, learner.id, 8.0, 10.0, given + timedelta(hours=1), "ags"
    )

    assert record_grades([first]) == [first]
    assert set(record_grades([second, newer])) == {second, newer}
    db.session.commit()
    stored = db.session.execute(
        select(Grade.user_id, Grade.score).where(Grade.column_id == column.id)
    ).all()
    assert sorted(stored) == sorted([(learner.id, 8.0), (other.id, 6.0)])
