"""``insert_rows``: rows stored as an INSERT stores them (PostgreSQL copies them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, cast, insert, select

from app.database import AwareDateTime, insert_rows
from app.extensions import db

_metadata = MetaData()
_rows = Table(
    "test_insert_rows",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("at", AwareDateTime()),
    Column("data", JSON, nullable=False),
    Column("kind", String(10), nullable=False, default="plain"),
)


@pytest.fixture
def table(app) -> Iterator[None]:
    _metadata.create_all(db.engine)
    yield
    db.session.remove()
    _metadata.drop_all(db.engine)


def _stored() -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in db.session.execute(
            select(_rows.c.name, _rows.c.at, cast(_rows.c.data, String), _rows.c.kind).order_by(
                _rows.c.id
            )
        )
    ]


def test_rows_are_stored_as_an_insert_stores_them(table) -> None:
    east = timezone(timedelta(hours=5, minutes=30))
    rows: list[dict[str, Any]] = [
        {"name": "é", "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=east), "data": {"b": [1, "ü"]}},
        {"name": "none", "at": None, "data": {}},
        {"name": "naive", "at": datetime(2026, 1, 2, 3, 4, 5), "data": {"a": None}},
    ]
    rows = [{**row, "kind": "given"} for row in rows]
    db.session.execute(insert(_rows), rows)
    inserted = _stored()
    db.session.execute(_rows.delete())
    insert_rows(_rows, rows)
    db.session.commit()

    assert _stored() == inserted
    assert inserted[0][1] == datetime(2026, 1, 1, 21, 34, 5, tzinfo=UTC)


def test_a_column_with_a_python_default_must_be_given(table) -> None:
    with pytest.raises(ValueError, match="kind"):
        insert_rows(_rows, [{"name": "x", "at": None, "data": {}}])
