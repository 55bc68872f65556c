"""The badge page's simple rule: one column and a threshold, as most badges need, turned into
a criteria document (and back, to fill the form). Anything richer is written as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNITS = {"percent": "min_percent", "points": "min_points"}


@dataclass(frozen=True)
class SimpleRule:
    """A score threshold on one column."""

    column: str
    threshold: float
    unit: str = "percent"  # or "points"

    def as_criteria(self) -> dict[str, Any]:
        """The criteria document, to be checked like any other."""
        return {"column": self.column, UNITS[self.unit]: self.threshold}


def simple_rule(criteria: dict[str, Any] | None) -> SimpleRule | None:
    """The simple rule a criteria document is, or None when it says more than that."""
    if not isinstance(criteria, dict) or set(criteria) - {"column", *UNITS.values()}:
        return None
    for unit, key in UNITS.items():
        if key in criteria and "column" in criteria and len(criteria) == 2:
            return SimpleRule(str(criteria["column"]), float(criteria[key]), unit)
    return None


def parse_rule(column: str, threshold: str, unit: str) -> SimpleRule:
    """The form's fields as a rule; ValueError says in a sentence what is missing."""
    if not column:
        raise ValueError("Choose the column the badge is earned in.")
    if unit not in UNITS:
        raise ValueError("Choose % of the maximum or points.")
    try:
        value = float(threshold.replace(",", "."))
    except ValueError:
        raise ValueError("The score needed must be a number, such as 80.") from None
    if value <= 0 or (unit == "percent" and value > 100):
        raise ValueError("The score needed must be above 0 (and at most 100 %).")
    return SimpleRule(column, value, unit)
