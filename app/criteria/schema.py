"""Criteria documents: the node model, validation with precise errors, canonical JSON.

A criteria document is the JSON a badge stores (and the API accepts) to say who earns it::

    {"all": [{"column": 12, "min_percent": 80}, {"badge": "foundations"}],
     "earn_by": "2027-06-30", "review_band_percent": 5}

The criteria, one object each (combinators nest them):

* ``{"column": ID, "min_percent": N}`` or ``"min_points"``: a score threshold on a column.
  "Course total at least N %" is this on the course's course total column.
* ``{"average": [IDs], "min_percent": N}``, ``{"sum": [IDs], "min_points": N}``.
* ``{"completed": ID}`` or ``{"completed": [IDs]}``: the activity, module or course those
  completion columns stand for is completed (each of them, for a list).  Completion columns
  hold 0 or 100 of 100; the course's own completion is its "course completion" column.
* ``{"badge": ID}``: a prerequisite badge.
* ``{"all": [...]}``, ``{"any": [...]}``, ``{"at_least": K, "of": [...]}``.

`parse_criteria` turns such a document into immutable, hashable dataclasses (so a parsed
document can be compared, cached and used as a dict key) or raises `CriteriaError` naming the
offending part with a JSON-pointer path, which the API returns as a 422.

This module is pure: no Flask, no database, no I/O.  Error messages go through the installed
translator (`app.criteria.language`): staff read them on the badge page and in API answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal, TypeAlias

from app.criteria.language import gettext as _
from app.criteria.language import ngettext

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_NODES",
    "AllNode",
    "AnyNode",
    "AtLeastNode",
    "AverageNode",
    "BadgeNode",
    "ColumnNode",
    "CompletedNode",
    "Criteria",
    "CriteriaError",
    "Node",
    "SumNode",
    "Unit",
    "child_key",
    "completion_columns",
    "criteria_to_json",
    "iter_nodes",
    "parse_criteria",
    "referenced_badges",
    "referenced_columns",
]

# Limits keep a hostile or buggy document from costing real time in a cohort sync (criteria
# are evaluated once per learner per badge) or from exhausting the recursion stack.  They are
# far beyond what a staff page produces: a realistic document is 2-4 levels and < 20 nodes.
MAX_DEPTH = 10
"""Deepest allowed nesting; the top-level node is depth 1."""
MAX_NODES = 1000
"""Most criteria nodes (leaves and combinators) in one document."""
MAX_ITEMS = 500
"""Most entries in one list (children of a combinator, columns of an aggregate)."""
MAX_ID_LENGTH = 255

Unit = Literal["percent", "points"]

# A date-only earn_by means "by the end of that day anywhere on Earth" (UTC-12, as conference
# deadlines do): the engine does not know the course's time zone, and awarding a badge a few
# hours late is a far smaller harm than refusing one to a learner who met the date locally.
DATE_DEADLINE_TZ = timezone(timedelta(hours=-12), "AoE")


# --------------------------------------------------------------------------------------------
# The node model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnNode:
    """A threshold on one gradebook column: ``{"column": ID, "min_percent"|"min_points": N}``.

    ``unit == "percent"`` compares score / maximum * 100; ``"points"`` compares the raw score.
    """

    column: str
    unit: Unit
    threshold: float


@dataclass(frozen=True, slots=True)
class BadgeNode:
    """A pathway prerequisite: ``{"badge": ID}`` is met when the learner holds that badge."""

    badge: str


@dataclass(frozen=True, slots=True)
class AllNode:
    """``{"all": [...]}``: every child must be met."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyNode:
    """``{"any": [...]}``: at least one child must be met."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AtLeastNode:
    """``{"at_least": K, "of": [...]}``: at least ``k`` of the children must be met."""

    k: int
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AverageNode:
    """``{"average": [IDs], "min_percent": N}``: the mean percentage over the columns.

    A column without a usable grade counts as 0 % (see `app.criteria.evaluate`).
    """

    columns: tuple[str, ...]
    min_percent: float


@dataclass(frozen=True, slots=True)
class SumNode:
    """``{"sum": [IDs], "min_points": N}``: the total raw score over the columns."""

    columns: tuple[str, ...]
    min_points: float


@dataclass(frozen=True, slots=True)
class CompletedNode:
    """``{"completed": ID}`` or ``{"completed": [IDs]}``: every listed completion column says
    completed (100 of 100); no grade, or 0, is not completed."""

    columns: tuple[str, ...]


Node: TypeAlias = (
    ColumnNode | BadgeNode | AllNode | AnyNode | AtLeastNode | AverageNode | SumNode | CompletedNode
)
Combinator: TypeAlias = AllNode | AnyNode | AtLeastNode


@dataclass(frozen=True, slots=True)
class Criteria:
    """A parsed, validated criteria document.

    ``earn_by`` is a `date` (deadline at the end of that day, anywhere on Earth) or an aware
    `datetime` (deadline at that instant, inclusive).  ``review_band_percent`` is 0 when the
    document does not ask for a review band.
    """

    root: Node
    earn_by: date | datetime | None = None
    review_band_percent: float = 0.0

    @property
    def deadline(self) -> datetime | None:
        """The last instant (inclusive, aware) at which criteria can be met, or None."""
        earn_by = self.earn_by
        if earn_by is None:
            return None
        if isinstance(earn_by, datetime):  # before `date`: datetime is a subclass of date
            return earn_by
        return datetime.combine(earn_by, time.max, DATE_DEADLINE_TZ)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class CriteriaError(ValueError):
    """A criteria document is invalid.

    ``path`` is a JSON pointer to the offending part ("" is the whole document, "/all/2/min_percent"
    the threshold of the third child of the top-level "all"); ``message`` says what is wrong.
    ``str(error)`` is ``"/all/2/min_percent: must be between 0 and 100"``, ready for a 422 body.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path or '/'}: {message}")


def _child(path: str, key: str | int) -> str:
    """JSON-pointer join, escaping "~" and "/" in keys as RFC 6901 requires."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{path}/{token}"


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

# The key that decides a node's type, in the order used in messages.
_KINDS = ("column", "badge", "all", "any", "at_least", "average", "sum", "completed")
_ALLOWED: dict[str, frozenset[str]] = {
    "column": frozenset({"column", "min_percent", "min_points"}),
    "completed": frozenset({"completed"}),
    "badge": frozenset({"badge"}),
    "all": frozenset({"all"}),
    "any": frozenset({"any"}),
    "at_least": frozenset({"at_least", "of"}),
    "average": frozenset({"average", "min_percent"}),
    "sum": frozenset({"sum", "min_points"}),
}
_NODE_KEYS = frozenset().union(*_ALLOWED.values())
_TOP_LEVEL_KEYS = frozenset({"earn_by", "review_band_percent"})
_KIND_LIST = ", ".join(_KINDS)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Budget:
    """Counts nodes while parsing so an enormous document fails fast."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes = 0


def parse_criteria(doc: Any) -> Criteria:
    """Validate a criteria document (already decoded from JSON) and return its `Criteria`.

    Raises `CriteriaError` for the first problem found, in document order (keys are checked
    in a fixed order, so the same bad document always yields the same error).
    """
    if not isinstance(doc, Mapping):
        raise CriteriaError("", _("must be a JSON object, not {type}").format(type=_json_type(doc)))
    root = _parse_node(doc, "", 1, _Budget(), top=True)
    earn_by = _parse_earn_by(doc["earn_by"], "/earn_by") if "earn_by" in doc else None
    band = 0.0
    if "review_band_percent" in doc:
        band = _number(doc["review_band_percent"], "/review_band_percent", upper=100.0)
    return Criteria(root=root, earn_by=earn_by, review_band_percent=band)


def _parse_node(obj: Any, path: str, depth: int, budget: _Budget, *, top: bool = False) -> Node:
    if not isinstance(obj, Mapping):
        raise CriteriaError(path, _("must be an object, not {type}").format(type=_json_type(obj)))
    if depth > MAX_DEPTH:
        raise CriteriaError(
            path, _("nesting is deeper than {limit} levels").format(limit=MAX_DEPTH)
        )
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise CriteriaError(
            path, _("too many criteria in one document (limit {limit})").format(limit=MAX_NODES)
        )

    # Unknown keys first: a typo such as "min_precent" is the most useful thing to report.
    for key in sorted(obj, key=str):
        if not isinstance(key, str):
            raise CriteriaError(
                path, _("keys must be strings, not {type}").format(type=_json_type(key))
            )
        if key in _NODE_KEYS:
            continue
        if key in _TOP_LEVEL_KEYS:
            if top:
                continue
            raise CriteriaError(_child(path, key), _("is only allowed at the top level"))
        raise CriteriaError(
            _child(path, key),
            _("unknown key (a criterion is one of {kinds})").format(kinds=_KIND_LIST),
        )

    kinds = [k for k in _KINDS if k in obj]
    if not kinds:
        if "of" in obj:
            raise CriteriaError(_child(path, "of"), _("is only used together with 'at_least'"))
        raise CriteriaError(path, _("needs one of {kinds}").format(kinds=_KIND_LIST))
    if len(kinds) > 1:
        raise CriteriaError(
            path,
            _("has both '{first}' and '{second}'; a criterion is exactly one of them").format(
                first=kinds[0], second=kinds[1]
            ),
        )
    kind = kinds[0]
    allowed = _ALLOWED[kind]
    for key in sorted(obj):
        if key not in allowed and key not in _TOP_LEVEL_KEYS:
            raise CriteriaError(_child(path, key), _misplaced_message(kind, key))

    if kind == "column":
        column = _ident(obj["column"], _child(path, "column"))
        unit, threshold = _column_threshold(obj, path)
        return ColumnNode(column, unit, threshold)
    if kind == "completed":
        value = obj["completed"]
        if isinstance(value, list | tuple):
            return CompletedNode(_parse_columns(value, _child(path, "completed")))
        return CompletedNode((_ident(value, _child(path, "completed")),))
    if kind == "badge":
        return BadgeNode(_ident(obj["badge"], _child(path, "badge")))
    if kind in ("all", "any"):
        children = _parse_children(obj[kind], _child(path, kind), depth, budget)
        return AllNode(children) if kind == "all" else AnyNode(children)
    if kind == "at_least":
        k = _positive_int(obj["at_least"], _child(path, "at_least"))
        if "of" not in obj:
            raise CriteriaError(path, _("'at_least' needs 'of': the list of criteria to count"))
        children = _parse_children(obj["of"], _child(path, "of"), depth, budget)
        if k > len(children):
            raise CriteriaError(
                _child(path, "at_least"),
                ngettext(
                    "is {k} but 'of' has only {count} criterion",
                    "is {k} but 'of' has only {count} criteria",
                    len(children),
                ).format(k=k, count=len(children)),
            )
        return AtLeastNode(k, children)
    if kind == "average":
        columns = _parse_columns(obj["average"], _child(path, "average"))
        if "min_percent" not in obj:
            raise CriteriaError(path, _("'average' needs 'min_percent'"))
        return AverageNode(columns, _number(obj["min_percent"], _child(path, "min_percent"), 100))
    # kind == "sum"
    columns = _parse_columns(obj["sum"], _child(path, "sum"))
    if "min_points" not in obj:
        raise CriteriaError(path, _("'sum' needs 'min_points'"))
    return SumNode(columns, _number(obj["min_points"], _child(path, "min_points")))


def _misplaced_message(kind: str, key: str) -> str:
    """Explain a known key used on the wrong kind of node, suggesting the usual fix."""
    if kind == "average" and key == "min_points":
        return _("'average' compares percentages: use 'min_percent' (or 'sum' with 'min_points')")
    if kind == "sum" and key == "min_percent":
        return _("'sum' compares points: use 'min_points' (or 'average' with 'min_percent')")
    if kind == "completed" and key in ("min_percent", "min_points"):
        return _("'completed' takes no score: an activity is completed or not")
    if key == "of":
        return _("is only used together with 'at_least'")
    return _("is not allowed together with '{kind}'").format(kind=kind)


def _column_threshold(obj: Mapping[str, Any], path: str) -> tuple[Unit, float]:
    has_percent, has_points = "min_percent" in obj, "min_points" in obj
    if has_percent and has_points:
        raise CriteriaError(path, _("use either 'min_percent' or 'min_points', not both"))
    if has_percent:
        return "percent", _number(obj["min_percent"], _child(path, "min_percent"), 100)
    if has_points:
        return "points", _number(obj["min_points"], _child(path, "min_points"))
    raise CriteriaError(path, _("needs a threshold: 'min_percent' or 'min_points'"))


def _parse_children(value: Any, path: str, depth: int, budget: _Budget) -> tuple[Node, ...]:
    items = _list(value, path)
    return tuple(
        _parse_node(item, _child(path, i), depth + 1, budget) for i, item in enumerate(items)
    )


def _parse_columns(value: Any, path: str) -> tuple[str, ...]:
    items = _list(value, path)
    seen: set[str] = set()
    columns = []
    for i, item in enumerate(items):
        column = _ident(item, _child(path, i))
        if column in seen:
            # Listing a column twice would silently double its weight: surely a mistake.
            raise CriteriaError(
                _child(path, i), _("column {column} is listed twice").format(column=repr(column))
            )
        seen.add(column)
        columns.append(column)
    return tuple(columns)


def _list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise CriteriaError(path, _("must be a list, not {type}").format(type=_json_type(value)))
    if not value:
        raise CriteriaError(path, "must not be empty")
    if len(value) > MAX_ITEMS:
        raise CriteriaError(
            path, _("has {count} items (limit {limit})").format(count=len(value), limit=MAX_ITEMS)
        )
    return value


def _ident(value: Any, path: str) -> str:
    """Column and badge ids arrive as JSON numbers or strings; both normalize to str."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CriteriaError(
            path,
            _("must be an id (a string or an integer), not {type}").format(type=_json_type(value)),
        )
    text = str(value)
    if not text.strip():
        raise CriteriaError(path, "must not be empty")
    if len(text) > MAX_ID_LENGTH:
        raise CriteriaError(
            path, _("is longer than {limit} characters").format(limit=MAX_ID_LENGTH)
        )
    return text


def _number(value: Any, path: str, upper: float | None = None) -> float:
    # bool is an int in Python, but `true` is never a sensible threshold in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CriteriaError(path, _("must be a number, not {type}").format(type=_json_type(value)))
    try:
        number = float(value)
    except OverflowError:  # an int too big for a float
        number = math.inf
    if not math.isfinite(number):
        raise CriteriaError(path, _("must be a finite number"))
    if upper is not None and not 0 <= number <= upper:
        raise CriteriaError(path, _("must be between 0 and {upper}").format(upper=f"{upper:g}"))
    if number < 0:
        raise CriteriaError(path, _("must not be negative"))
    return number


def _positive_int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CriteriaError(
            path, _("must be a whole number, not {type}").format(type=_json_type(value))
        )
    if value < 1:
        raise CriteriaError(path, _("must be at least 1"))
    return value


def _parse_earn_by(value: Any, path: str) -> date | datetime:
    if not isinstance(value, str):
        raise CriteriaError(
            path,
            _("must be a date string (YYYY-MM-DD), not {type}").format(type=_json_type(value)),
        )
    text = value.strip()
    if _DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CriteriaError(
                path, _("{value} is not a valid date").format(value=repr(value))
            ) from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CriteriaError(
            path,
            _("{value} is not a date (YYYY-MM-DD) or an ISO 8601 date-time").format(
                value=repr(value)
            ),
        ) from None
    if moment.utcoffset() is None:
        # A naive instant means different deadlines on different servers; insist on an offset.
        raise CriteriaError(
            path,
            _("{value} needs a UTC offset, e.g. '2027-06-30T17:00:00+02:00' or '...Z'").format(
                value=repr(value)
            ),
        )
    return moment


def _json_type(value: Any) -> str:
    """Name a Python value by its JSON type, for messages the API client can act on."""
    if value is None:
        return _("null")
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, int | float):
        return _("a number")
    if isinstance(value, str):
        return _("a string")
    if isinstance(value, list | tuple):
        return _("a list")
    if isinstance(value, Mapping):
        return _("an object")
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Canonical JSON and inspection
# --------------------------------------------------------------------------------------------


def criteria_to_json(criteria: Criteria) -> dict[str, Any]:
    """The canonical JSON form: ids as strings, integral numbers as ints, defaults omitted.

    ``parse_criteria(criteria_to_json(c)) == c`` for every `Criteria` (property-tested), so this
    is what the badge stores and what the API returns.
    """
    doc = _node_to_json(criteria.root)
    if criteria.earn_by is not None:
        doc["earn_by"] = criteria.earn_by.isoformat()
    if criteria.review_band_percent:
        doc["review_band_percent"] = _num_out(criteria.review_band_percent)
    return doc


def _node_to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, ColumnNode):
        key = "min_percent" if node.unit == "percent" else "min_points"
        return {"column": node.column, key: _num_out(node.threshold)}
    if isinstance(node, CompletedNode):
        # One column reads as itself: {"completed": "Quiz 1"}, as staff would write it.
        return {"completed": node.columns[0] if len(node.columns) == 1 else list(node.columns)}
    if isinstance(node, BadgeNode):
        return {"badge": node.badge}
    if isinstance(node, AllNode):
        return {"all": [_node_to_json(c) for c in node.children]}
    if isinstance(node, AnyNode):
        return {"any": [_node_to_json(c) for c in node.children]}
    if isinstance(node, AtLeastNode):
        return {"at_least": node.k, "of": [_node_to_json(c) for c in node.children]}
    if isinstance(node, AverageNode):
        return {"average": list(node.columns), "min_percent": _num_out(node.min_percent)}
    if isinstance(node, SumNode):
        return {"sum": list(node.columns), "min_points": _num_out(node.min_points)}
    raise TypeError(f"not a criteria node: {node!r}")


def _num_out(value: float) -> int | float:
    """80.0 -> 80 so stored documents read like what staff typed; exact within 2**53."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def iter_nodes(node: Node) -> Iterator[Node]:
    """Yield ``node`` and all its descendants, depth first, in document order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, AllNode | AnyNode | AtLeastNode):
            stack.extend(reversed(current.children))


def child_key(node: AllNode | AnyNode | AtLeastNode) -> str:
    """The document key holding a combinator's children ("all", "any" or "of"), for paths."""
    if isinstance(node, AllNode):
        return "all"
    return "any" if isinstance(node, AnyNode) else "of"


def referenced_columns(criteria: Criteria | Node) -> frozenset[str]:
    """Every column id the criteria read (so callers can check they exist in the course)."""
    root = criteria.root if isinstance(criteria, Criteria) else criteria
    found: set[str] = set()
    for node in iter_nodes(root):
        if isinstance(node, ColumnNode):
            found.add(node.column)
        elif isinstance(node, AverageNode | SumNode | CompletedNode):
            found.update(node.columns)
    return frozenset(found)


def completion_columns(criteria: Criteria | Node) -> frozenset[str]:
    """The columns read as completions (callers check they are completion columns)."""
    root = criteria.root if isinstance(criteria, Criteria) else criteria
    return frozenset(
        column
        for node in iter_nodes(root)
        if isinstance(node, CompletedNode)
        for column in node.columns
    )


def referenced_badges(criteria: Criteria | Node) -> frozenset[str]:
    """Every prerequisite badge id (so callers can reject cycles and unknown badges)."""
    root = criteria.root if isinstance(criteria, Criteria) else criteria
    return frozenset(n.badge for n in iter_nodes(root) if isinstance(n, BadgeNode))
