"""The badge page's criteria builder: conditions on columns picked by title (a score in one
column, the average or total of several, activities or the course completed), combined with
all / any / at least N, prerequisite badges, a deadline and a review band, turned into a
criteria document (and back, to fill the form). What the builder cannot say (nested groups)
is written as JSON, the page's advanced option.

Each row sends one ``row`` (its kind), ``column``, ``threshold`` and ``unit`` value, so the
lists line up by row; a row over several columns sends them as ``columns-N`` (N counts rows
from 1) and an empty ``column``.

Everything here works on plain values (the form's strings, a criteria document), so a view
only hands over ``request.form.getlist(...)`` and renders what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

UNITS = {"percent": "min_percent", "points": "min_points"}
COMBINE = ("all", "any", "at_least")
ROW_KINDS = ("score", "average", "sum", "completed")
"""What a row asks for: a score in one column, the average (%) or total (points) of several
columns, or every ticked completion column completed."""
SEVERAL = frozenset({"average", "sum", "completed"})
# Whole sentences, not ordinal words: languages agree an ordinal with its noun.
_IN_CONDITION = (
    _l("In the first condition: %(message)s"),
    _l("In the second condition: %(message)s"),
    _l("In the third condition: %(message)s"),
    _l("In the fourth condition: %(message)s"),
    _l("In the fifth condition: %(message)s"),
    _l("In the sixth condition: %(message)s"),
    _l("In the seventh condition: %(message)s"),
    _l("In the eighth condition: %(message)s"),
    _l("In the ninth condition: %(message)s"),
    _l("In the tenth condition: %(message)s"),
)


@dataclass(frozen=True)
class Condition:
    """One row of the builder, as typed: the column id(s), the score needed, its unit, and
    the row's kind (one of `ROW_KINDS`)."""

    column: str = ""
    threshold: str = ""
    unit: str = "percent"
    kind: str = "score"
    columns: tuple[str, ...] = ()

    @property
    def picked(self) -> tuple[str, ...]:
        """The columns the row names (none: a blank row, skipped)."""
        if self.kind in SEVERAL:
            return self.columns
        return (self.column,) if self.column else ()


@dataclass(frozen=True)
class RuleForm:
    """The builder's fields as strings, so a refused form fills itself back as typed."""

    conditions: tuple[Condition, ...] = ()
    combine: str = "all"
    at_least: str = "1"
    badges: tuple[str, ...] = ()
    earn_by: str = ""
    review_band: str = ""

    def rows(self, blank: int = 2, scores: bool = True) -> list[Condition]:
        """The conditions plus ``blank`` empty score rows (at least three in all) to add
        more; without score columns (``scores`` False) one empty completion row if none."""
        filled = list(self.conditions)
        if not scores:
            return filled or [Condition(kind="completed")]
        return filled + [Condition()] * max(blank, 3 - len(filled))

    def with_row(self, kind: str, column: str = "") -> RuleForm:
        """The form with one more row of ``kind`` (the page's "Add" button), empty or with
        ``column`` chosen (a score row on the course total)."""
        if kind not in ROW_KINDS:
            return self
        return replace(self, conditions=(*self.conditions, Condition(column, kind=kind)))

    def as_criteria(self) -> dict[str, Any]:
        """The criteria document the form says, to be checked like any other; ValueError
        says in the instructor's words what is missing or wrong."""
        leaves: list[dict[str, Any]] = []
        filled = [c for c in self.conditions if c.picked]
        several = len(filled) > 1
        for number, condition in enumerate(filled):
            try:
                leaves.append(_leaf(condition))
            except ValueError as exc:
                if not several:
                    raise
                raise ValueError(_in_condition(number, str(exc))) from None
        if not leaves:
            raise ValueError(_("Choose the column the badge is earned in."))
        if self.combine not in COMBINE:
            raise ValueError(_("Choose whether learners need all, any or some of the conditions."))
        if len(leaves) == 1:
            root: dict[str, Any] = leaves[0]
        elif self.combine == "at_least":
            try:
                k = int(self.at_least)
            except ValueError:
                raise ValueError(
                    _("Say how many of the conditions are needed, such as 2.")
                ) from None
            if not 1 <= k <= len(leaves):
                raise ValueError(
                    _(
                        "The number of conditions needed must be between 1 and %(most)s.",
                        most=len(leaves),
                    )
                )
            root = {"at_least": k, "of": leaves}
        else:
            root = {self.combine: leaves}
        if self.badges:
            prerequisites = [{"badge": b} for b in self.badges]
            root = (
                {"all": root["all"] + prerequisites}
                if "all" in root
                else {"all": [root, *prerequisites]}
            )
        doc = dict(root)
        if self.earn_by:
            try:
                doc["earn_by"] = date.fromisoformat(self.earn_by).isoformat()
            except ValueError:
                raise ValueError(_("The deadline must be a date, such as 2027-06-30.")) from None
        if self.review_band.strip():
            band = _number(
                self.review_band,
                _("The review band must be a number of percentage points, such as 5."),
            )
            if not 0 <= band <= 100:
                raise ValueError(_("The review band must be between 0 and 100 percentage points."))
            if band:
                doc["review_band_percent"] = band
        return doc


def _in_condition(index: int, message: str) -> str:
    """``message`` (a sentence) said of the condition at ``index`` (from 0)."""
    message = message[:1].lower() + message[1:]
    if index < len(_IN_CONDITION):
        return _IN_CONDITION[index] % {"message": message}
    return _("In condition %(number)s: %(message)s", number=index + 1, message=message)


def _number(text: str, message: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(message) from None


def _leaf(condition: Condition) -> dict[str, Any]:
    kind, columns = condition.kind, list(condition.picked)
    if kind == "completed":
        return {"completed": columns[0] if len(columns) == 1 else columns}
    if kind in ("average", "sum"):
        if len(columns) < 2:
            raise ValueError(
                _("Tick at least two columns to average; for one column, ask for a score in it.")
                if kind == "average"
                else _(
                    "Tick at least two columns to add up; for one column, ask for a score in it."
                )
            )
        value = _number(condition.threshold, _("The score needed must be a number, such as 80."))
        if kind == "average":
            if not 0 < value <= 100:
                raise ValueError(_("The average needed must be above 0 and at most 100 %."))
            return {"average": columns, "min_percent": value}
        if value <= 0:
            raise ValueError(_("The total needed must be above 0 points."))
        return {"sum": columns, "min_points": value}
    if condition.unit not in UNITS:
        raise ValueError(_("Choose a percentage of the maximum or points."))
    value = _number(condition.threshold, _("The score needed must be a number, such as 80."))
    if value <= 0 or (condition.unit == "percent" and value > 100):
        raise ValueError(_("The score needed must be above 0 (and at most 100 %)."))
    return {"column": condition.column, UNITS[condition.unit]: value}


def rule_form(values: Mapping[str, list[str]]) -> RuleForm:
    """The builder's fields (each name to the list of its values, as a form sends them)."""

    def one(name: str, default: str = "") -> str:
        found = values.get(name) or [default]
        return found[0].strip()

    columns, thresholds, units, kinds = (
        values.get(n) or [] for n in ("column", "threshold", "unit", "row")
    )
    rows = []
    for i, column in enumerate(columns):
        kind = kinds[i] if i < len(kinds) and kinds[i] in ROW_KINDS else "score"
        condition = Condition(
            column.strip(),
            thresholds[i].strip() if i < len(thresholds) else "",
            units[i] if i < len(units) else "percent",
            kind,
            tuple(c for c in values.get(f"columns-{i + 1}") or [] if c.strip()),
        )
        # An empty score row is one of the spare rows; an empty row of another kind was
        # added on purpose (with "Add"), so it stays until the rule is saved.
        if condition.picked or kind != "score":
            rows.append(condition)
    conditions = tuple(rows)
    return RuleForm(
        conditions,
        one("combine", "all"),
        one("at_least", "1"),
        tuple(b for b in values.get("prerequisite") or [] if b),
        one("earn_by"),
        one("review_band"),
    )


def _condition(node: Any) -> Condition | None:
    if isinstance(node, dict) and list(node) == ["completed"]:
        value = node["completed"]
        listed = value if isinstance(value, list) else [value]
        return Condition(kind="completed", columns=tuple(str(c) for c in listed))
    for kind, key, unit in (("average", "min_percent", "percent"), ("sum", "min_points", "points")):
        if isinstance(node, dict) and set(node) == {kind, key} and isinstance(node[kind], list):
            columns = tuple(str(c) for c in node[kind])
            return Condition("", f"{node[key]:g}", unit, kind, columns)
    if not isinstance(node, dict) or "column" not in node or len(node) != 2:
        return None
    for unit, key in UNITS.items():
        if key in node:
            return Condition(str(node["column"]), f"{node[key]:g}", unit)
    return None


def form_of_criteria(criteria: dict[str, Any] | None) -> RuleForm | None:
    """The builder form a criteria document is, or None when it says more than the builder
    can (then the page opens the JSON editor)."""
    if not criteria:
        return RuleForm()
    if not isinstance(criteria, dict):
        return None
    top = {k: v for k, v in criteria.items() if k not in ("earn_by", "review_band_percent")}
    extra = {
        "earn_by": str(criteria.get("earn_by") or ""),
        "review_band": f"{criteria['review_band_percent']:g}"
        if criteria.get("review_band_percent")
        else "",
    }
    children, combine, k = [top], "all", "1"
    if list(top) == ["all"] and isinstance(top["all"], list):
        children = top["all"]
    badges = [c["badge"] for c in children if isinstance(c, dict) and list(c) == ["badge"]]
    rest = [c for c in children if not (isinstance(c, dict) and list(c) == ["badge"])]
    if (
        len(rest) == 1
        and isinstance(rest[0], dict)
        and (list(rest[0]) == ["any"] or set(rest[0]) == {"at_least", "of"})
        and badges
    ):
        group = rest[0]
        combine = "any" if "any" in group else "at_least"
        rest = group.get("any") or group.get("of") or []
        k = str(group.get("at_least", 1))
    elif set(top) == {"at_least", "of"}:
        combine, rest, k = "at_least", top["of"], str(top["at_least"])
    elif list(top) == ["any"]:
        combine, rest = "any", top["any"]
    conditions = [_condition(c) for c in rest]
    if not conditions or None in conditions:
        return None
    return RuleForm(
        tuple(c for c in conditions if c), combine, k, tuple(str(b) for b in badges), **extra
    )
