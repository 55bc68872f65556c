"""Database helpers every area shares: the retry-on-lock policy, the timezone-aware datetime
column type, the statement chunk size, ``upsert`` (and ``upsert_stored`` for hot paths),
``insert_rows`` and ``find_by_ref``.

The engine-level setup (SQLite pragmas, the ``db`` object) stays in :mod:`app.extensions`;
this module holds what domain code calls.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar, cast, overload

from sqlalchemy import JSON, DateTime, Table, Text, any_, bindparam, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

from app.extensions import WRITE_LOCK_AT_BEGIN, db

P = ParamSpec("P")
T = TypeVar("T")

#: Rows (or ids in an ``IN (...)`` list) per statement: under SQLite's bound-parameter limit,
#: large enough to amortize a round trip.
CHUNK = 500

# --- retry on lock -----------------------------------------------------------------------------
# The one policy: a write transaction that loses a lock race is rolled back and replayed from
# scratch, up to LOCK_ATTEMPTS times, sleeping 5 ms, 10 ms, 15 ms … (at most 0.5 s) in between
# (about 9 s in all, longer than any write transaction of the tool holds its lock). The
# errors: SQLite refusing a reader's upgrade to writer while another connection writes
# (SQLITE_BUSY_SNAPSHOT under WAL fails at once instead of waiting), PostgreSQL breaking a
# deadlock or a serialization conflict. Anything else is raised at once. Each attempt may
# also wait out SQLite's busy timeout on a writer that holds the lock: past LOCK_PATIENCE
# seconds in all, the conflict is raised (a stall to report, not a race to replay).
LOCK_ATTEMPTS = 60
LOCK_PATIENCE = 60.0
_RETRYABLE = ("database is locked", "deadlock detected", "could not serialize")


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a transient lock conflict that replaying the transaction fixes."""
    return isinstance(exc, OperationalError) and any(text in str(exc) for text in _RETRYABLE)


def _lock_pause(attempt: int) -> float:
    return min(0.5, 0.005 * (attempt + 1))


def _replaying(call: Callable[[], T], *, commit: bool) -> T:
    give_up_at = time.monotonic() + LOCK_PATIENCE
    for attempt in range(LOCK_ATTEMPTS):
        try:
            result = call()
            if commit:
                db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            last = attempt == LOCK_ATTEMPTS - 1 or time.monotonic() > give_up_at
            if not is_lock_conflict(exc) or last:
                raise
            time.sleep(_lock_pause(attempt))
    raise AssertionError("unreachable")


def in_transaction(work: Callable[[], T]) -> T:
    """Run ``work`` and commit, replaying it from scratch on transient lock conflicts."""
    return _replaying(work, commit=True)


def begins_writing(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorate an operation that changes state: what the session read so far is committed,
    and the operation's transaction begins holding the write lock.

    On SQLite (WAL) a transaction that has read cannot take the write lock once another
    connection has committed since its first read: SQLite refuses at once, without waiting
    ("database is locked"). A staff form posted while the worker issued awards failed so
    (the request had read its launch and the badge first). Beginning as a writer (BEGIN
    IMMEDIATE), the operation waits its turn instead (``busy_timeout``), and reads the state
    it changes under the lock. Elsewhere the one change is the commit of what was read."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        db.session.commit()
        db.session.connection(execution_options={WRITE_LOCK_AT_BEGIN: True})
        return fn(*args, **kwargs)

    return wrapper


def retry_on_lock(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorate a write operation that commits itself: replay it on lock conflicts (the same
    policy as :func:`in_transaction`). PostgreSQL rarely raises these; SQLite under WAL does."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return _replaying(lambda: fn(*args, **kwargs), commit=False)

    return wrapper


# --- timezone-aware datetimes ------------------------------------------------------------------


class AwareDateTime(TypeDecorator[datetime]):
    """``AwareDateTime()`` that always hands back aware UTC datetimes.

    PostgreSQL keeps the offset (timestamptz); SQLite stores text without one and returns
    naive values. Values are stored as UTC (an aware value in another zone is converted, so
    SQLite's text keeps the right instant and sorts right; a naive value is taken as UTC) and
    come back aware in UTC on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
@overload
def as_utc(moment: datetime | None) -> datetime | None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` as an aware UTC datetime (naive values are taken as UTC); None stays None."""
    if moment is None:
        return None
    if moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- writes and lookups ------------------------------------------------------------------------


def upsert(
    model: type,
    rows: list[dict[str, Any]],
    keys: Sequence[str] = (),
    update_columns: Sequence[str] = (),
    json_text: Sequence[str] = (),
) -> None:
    """INSERT rows; on a conflict (of ``keys``, or of any unique key when none are given)
    update ``update_columns``, or do nothing.

    One statement per :data:`CHUNK` rows for SQLite and PostgreSQL, so concurrent writers never
    fail on a unique key and no check-then-insert race or savepoint per row is needed. The
    statement is Core's (on the model's table): the ORM's bulk path costs several times more
    per row and the rows are plain dicts anyway. The JSON columns named in ``json_text`` come
    as text already serialized, under the key ``<column>_json`` (stored as given, not
    serialized again).
    """
    if not rows:
        return
    table = table_of(model)
    for start in range(0, len(rows), CHUNK):
        stmt = dialect_insert(table)
        if json_text:
            stmt = stmt.values({c: _json_text(c + "_json") for c in json_text})
        if update_columns:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: getattr(stmt.excluded, c) for c in update_columns},
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys) or None)
        db.session.execute(stmt, rows[start : start + CHUNK])


def upsert_stored(
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    keys: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """:func:`upsert` (with ``update_columns``) for rows already in the driver's form: tuples
    in ``columns`` order whose values need no conversion (datetimes through
    :func:`stored_form`). No two rows may share ``keys`` (PostgreSQL updates a row at most
    once per statement).

    The statement is compiled once and the rows go to the driver as they are: SQLAlchemy's
    per-row parameter building and per-value type processing cost more than the insert
    itself on the hot path of storing a sync's grades. SQLite takes them through
    ``executemany``; PostgreSQL by a binary COPY into a staging table and one upsert from
    it (see :func:`_upsert_copied`).
    """
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _upsert_copied(connection, table, columns, rows, keys, update_columns)
        return
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: getattr(stmt.excluded, c) for c in update_columns},
    )
    compiled = stmt.compile(dialect=connection.dialect, column_keys=list(columns))
    order = [columns.index(name) for name in compiled.positiontup or ()]
    if order == list(range(len(columns))):
        params: list[Any] = rows
    else:
        params = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(str(compiled), params)


def _upsert_copied(
    connection: Any,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    keys: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    # The rows are copied (binary COPY, encoded by psycopg's C code: 2 ms of CPU per 5,000
    # grades, against 60 ms as arrays for unnest and 45 ms for executemany) into a staging
    # table of the session, then upserted from it in one statement (PostgreSQL's
    # executemany runs the upsert once per row: 30 µs of server CPU a row against 20).
    # The staging table holds rows only within the statement's transaction: emptied
    # after use and at every commit (a rollback takes its rows too).
    quote = connection.dialect.identifier_preparer.quote
    target = quote(table.name)
    names = ", ".join(quote(c) for c in columns)
    shape = hashlib.sha256(",".join(columns).encode()).hexdigest()[:8]
    staging = quote(f"upsert_{table.name}_{shape}")
    driver: Any = connection.connection.dbapi_connection
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {target} WITH NO DATA"
        )
        _copy_into(cursor, staging, names, rows)
        cursor.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {staging} "
            f"ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET "
            + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update_columns)
        )
        cursor.execute(f"DELETE FROM {staging}")


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT plain rows (dicts with the same keys, values as the ORM takes them) into
    ``table``: no conflict handling, nothing handed back. A row that breaks a constraint
    fails the statement, as an INSERT would.

    PostgreSQL takes them by one binary COPY straight into the table (constraints and
    foreign keys checked as for an INSERT): per row, the executemany of an INSERT cost the
    server an executor start and SQLAlchemy a parameter set (a cohort's decisions and audit
    records: 20,000 rows). Values pass through their column type's bind processing first
    (JSON as the engine serializes it, aware datetimes in UTC). SQLite takes an executemany.
    A column with a Python-side default must be given (COPY knows only the server's).
    """
    if not rows:
        return
    missing = [c.name for c in table.c if c.default is not None and c.name not in rows[0]]
    if missing:
        raise ValueError(f"insert_rows into {table.name} needs {', '.join(missing)}")
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(table), rows[start : start + CHUNK])
        return
    columns = list(rows[0])
    forms = [stored_form(table.c[name]) for name in columns]
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    driver: Any = connection.connection.dbapi_connection
    with driver.cursor() as cursor:
        _copy_into(
            cursor,
            quote(table.name),
            names,
            ([form(row[name]) for form, name in zip(forms, columns, strict=True)] for row in rows),
        )


def _copy_into(cursor: Any, table: str, names: str, rows: Iterable[Sequence[Any]]) -> None:
    """``rows`` into the columns ``names`` of ``table`` (both quoted) by one binary COPY,
    each value encoded as the type of its column."""
    cursor.execute(f"SELECT {names} FROM {table} LIMIT 0")
    types = [d.type_code for d in cursor.description]
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def among(column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` for a long list of values: on PostgreSQL ``column = ANY(array)``
    with the list as one array parameter. An ``IN`` list of 500 is 500 parameters that
    SQLAlchemy renders and psycopg rewrites into the statement text on every call (too long
    for its cache): 12 ms of CPU per 500-learner lookup against 5-6 ms. SQLite, which has
    no arrays, takes the ``IN`` list."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def planned_per_call(statement: Executable) -> list[Any]:
    """The rows of a lookup in the session, planned by PostgreSQL for these very parameters.

    psycopg prepares a statement on the server from its fifth execution on, and PostgreSQL
    may then keep one generic plan for it, costed on the table as it was at that moment. A
    lookup by a long ``IN`` list into a table that grows from empty during a large first
    sync (a course's grades) kept the plan made for a handful of rows: the list applied as a
    filter over every row of the column instead of as index lookups, 50-170 ms a chunk
    instead of 1-2 ms. Unprepared, it costs a parse and a plan per call (well under a
    millisecond). Other databases run it as usual.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return list(db.session.execute(statement))
    driver: Any = connection.connection.dbapi_connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        return list(db.session.execute(statement))
    finally:
        driver.prepare_threshold = threshold


def stored_form(column: Any) -> Callable[[Any], Any]:
    """How the session's database driver takes a value of ``column``: its type's bind
    processing (for :func:`upsert_stored`), the identity when the type has none."""
    dialect = db.session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process or _same_value


def _same_value(value: Any) -> Any:
    return value


def _json_text(name: str) -> Any:
    # PostgreSQL takes a text parameter into a json column only through a cast; SQLite's JSON
    # is text.
    param = bindparam(name, type_=Text)
    if db.session.get_bind().dialect.name == "postgresql":
        return sql_cast(param, JSON)
    return param


def dialect_insert(model: Any) -> Any:
    """The INSERT construct of the session's database (it has ``on_conflict_do_…``)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def table_of(model: Any) -> Table:
    """The Core table a model is mapped to (for Core statements on hot paths)."""
    return cast(Table, model.__table__)


def affected_rows(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session; how many rows it touched."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def by_public_id(model: type[T], public_id: str) -> T | None:
    """The row of ``model`` with this public id, or None."""
    column = cast(Any, model).public_id  # every model with a public id has this column
    return db.session.scalar(select(model).where(column == public_id))


def find_by_ref(model: type, ref: str | int) -> Any:
    """A row by its public id or, as the CLI also accepts, its numeric id; None if absent."""
    text = str(ref).strip()
    if text.isdigit():
        row = db.session.get(model, int(text))
        if row is not None:
            return row
    return by_public_id(model, text)
