"""CSV and JSON written row by row: generators that a Flask response or a file can consume
without the whole export ever being in memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Rows per yielded chunk: big enough that a response is not thousands of tiny writes.
_ROWS_PER_CHUNK = 500


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if value is None:
        return ""
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The CSV text in chunks: a header line, then ``rows`` (nested values as JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([_cell(row.get(name)) for name in header])
        if count % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written element by element."""
    parts: list[str] = ["["]
    first = True
    for row in rows:
        parts.append(("" if first else ",") + "\n" + json.dumps(row, default=str))
        first = False
        if len(parts) >= _ROWS_PER_CHUNK:
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)
