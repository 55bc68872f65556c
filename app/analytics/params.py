"""Reading the dashboards' and exports' parameters: the date range and the format."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta

from flask import Response, stream_with_context
from flask_babel import gettext as _

from app.analytics.streaming import csv_chunks, json_chunks
from app.downloads import as_download
from app.models.base import utcnow

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366 + 1


class RangeError(ValueError):
    """The date range cannot be used; the message says why."""


def date_range(args: Mapping[str, str]) -> tuple[date, date]:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); the last 30 days by default."""
    today = utcnow().date()
    try:
        last = date.fromisoformat(args["to"]) if args.get("to") else today
        first = (
            date.fromisoformat(args["from"])
            if args.get("from")
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError:
        raise RangeError(_("dates must be written YYYY-MM-DD")) from None
    if first > last:
        raise RangeError(_("the start date is after the end date"))
    if (last - first).days >= MAX_DAYS:
        raise RangeError(_("the range may span at most three years"))
    return first, last


def export_format(args: Mapping[str, str], default: str = "csv") -> str:
    fmt = (args.get("format") or default).lower()
    if fmt not in ("csv", "json"):
        raise RangeError(_("format must be csv or json"))
    return fmt


def streamed(
    rows: Iterator[dict],
    fields: tuple[str, ...],
    fmt: str,
    filename: str,
    *,
    labels: Sequence[str] | None = None,
) -> Response:
    """A download streamed as it is produced (the request context stays open for it).
    ``labels``: the CSV header people read (pages); without, the field names (the API)."""
    chunks = csv_chunks(fields, rows, labels) if fmt == "csv" else json_chunks(rows)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    response = Response(stream_with_context(chunks), mimetype=f"{mimetype}; charset=utf-8")
    as_download(response, filename, fmt, fallback="export")
    response.headers["Cache-Control"] = "no-store"
    return response
