"""Columns named by title in criteria documents, CSV files and API calls.

Staff write ``{"column": "Quiz 1", "min_percent": 80}``; the stored document names the
column by its id. A title names a column when exactly one column of the course has it (case
and spacing aside); a title two columns share is refused with a message naming both, since
guessing would award a badge on the wrong grades. Pure: callers pass (id, title) pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.criteria.language import ngettext
from app.criteria.schema import CriteriaError

__all__ = [
    "AmbiguousTitle",
    "column_for_title",
    "name_column_titles",
    "resolve_column_titles",
    "title_key",
]

# The keys whose values name columns: one id, or a list of ids.
_COLUMN_KEYS = ("column", "average", "sum", "completed")


class AmbiguousTitle(ValueError):
    """A title shared by several columns; the message names them for the person who typed it."""

    def __init__(self, title: str, ids: list[str]) -> None:
        self.title, self.ids = title, ids
        super().__init__(
            ngettext(
                "{count} column of this course is titled {title}: name the one you mean by its "
                "id ({ids})",
                "{count} columns of this course are titled {title}: name the one you mean by its "
                "id ({ids})",
                len(ids),
            ).format(count=len(ids), title=repr(title), ids=", ".join(ids))
        )


def title_key(title: str) -> str:
    """A title as compared: case and runs of spaces do not matter."""
    return " ".join(title.split()).casefold()


def column_for_title(value: str, columns: Iterable[tuple[str, str]]) -> str | None:
    """The id ``value`` names: itself when it is an id, the one column titled so, or None.
    Raises `AmbiguousTitle` when several columns have that title."""
    columns = list(columns)
    if any(public_id == value for public_id, _ in columns):
        return value
    found = [public_id for public_id, title in columns if title_key(title) == title_key(value)]
    if len(found) > 1:
        raise AmbiguousTitle(value, found)
    return found[0] if found else None


def _map_columns(doc: Any, rename: Callable[[Any, str], Any], path: str = "") -> Any:
    """The document with every column reference passed through ``rename(value, pointer)``."""
    if isinstance(doc, list):
        return [_map_columns(n, rename, f"{path}/{i}") for i, n in enumerate(doc)]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        here = f"{path}/{key}"
        if key in _COLUMN_KEYS and isinstance(value, list):
            out[key] = [rename(v, f"{here}/{i}") for i, v in enumerate(value)]
        elif key in _COLUMN_KEYS and key != "average" and key != "sum":
            out[key] = rename(value, here)
        else:
            out[key] = _map_columns(value, rename, here)
    return out


def resolve_column_titles(doc: Any, columns: Iterable[tuple[str, str]]) -> Any:
    """The document with each column named by its title replaced by the column's id. Ids and
    unknown names are left for the checker to report; a title several columns share raises
    `CriteriaError` at its place in the document."""
    columns = list(columns)

    def rename(value: Any, path: str) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return column_for_title(value, columns) or value
        except AmbiguousTitle as exc:
            raise CriteriaError(path, str(exc)) from None

    return _map_columns(doc, rename)


def name_column_titles(doc: Any, columns: Iterable[tuple[str, str]]) -> Any:
    """The document as the JSON editor shows it: each column id replaced by its title where
    no other column has the same title (`resolve_column_titles` reads it back)."""
    columns = list(columns)
    counts: dict[str, int] = {}
    for _, title in columns:
        counts[title_key(title)] = counts.get(title_key(title), 0) + 1
    titles = {public_id: title for public_id, title in columns if counts[title_key(title)] == 1}
    return _map_columns(doc, lambda value, _path: titles.get(value, value))
