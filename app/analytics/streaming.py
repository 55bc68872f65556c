"""CSV and JSON written row by row: generators that a Flask response or a file can consume
without the whole export ever being in memory.

Every CSV the tool writes (staff, admin and API exports, the audit export) goes through
:func:`csv_chunks`, so every text cell is made spreadsheet-safe in this one place.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Rows per yielded chunk: big enough that a response is not thousands of tiny writes.
_ROWS_PER_CHUNK = 500


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet will show it, never run it: a leading ``'`` when it could
    start a formula (``=cmd|' /C calc'!A0`` is a learner's LMS display name away)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if value is None:
        return ""
    if isinstance(value, str):
        # Numbers stay numbers (-5 is data); text, whoever wrote it, cannot become a formula.
        return spreadsheet_safe(value)
    return value


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[dict[str, Any]],
    labels: Sequence[str] | None = None,
) -> Iterator[str]:
    """The CSV text in chunks: a header line (``labels``, else the field names), then
    ``rows`` (nested values as JSON)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(str(label)) for label in labels] if labels else header)
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
