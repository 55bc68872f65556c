"""Shared English formatting for criteria text, evidence narratives and progress items.

Kept in one place so the badge's criteria text, the learner page and the staff review queue
spell numbers, dates and labels identically.  Pure; no locale lookups (output must not depend
on the server's locale).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: evaluate imports this module
    from app.criteria.evaluate import Evidence

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_number(value: float, decimals: int = 2) -> str:
    """80.0 -> "80", 72.5 -> "72.5", 66.666 -> "66.67" (trailing zeros dropped)."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_threshold(threshold: float, unit: str) -> str:
    """A threshold as staff typed it: "80 %", "40 points", "1 point"."""
    return _with_unit(format_number(threshold, 2), unit)


def format_measure(value: float, unit: str, threshold: float | None = None) -> str:
    """A learner's value, rounded to one decimal but never across the threshold.

    Plain rounding would print 79.96 % as "80 %" next to "needed 80 %" while the leaf is not
    met (or 79.95 as "79.9 %" when a 79.95 threshold is met); we round toward the side of the
    threshold the value is really on.
    """
    shown = round(value, 1)
    if threshold is not None:
        slack = 1e-9 * max(1.0, abs(threshold))
        if value >= threshold - slack:  # at or above: do not display below the threshold
            if shown < threshold:
                shown = max(math.ceil(value * 10) / 10, threshold)
        elif shown >= threshold:  # below: do not display as reaching it
            shown = math.floor(value * 10) / 10
            if shown >= threshold:  # float noise at the edge; fall back to more decimals
                return _with_unit(format_number(value, 6), unit)
    return _with_unit(format_number(shown, 2), unit)


def _with_unit(number: str, unit: str) -> str:
    if unit == "percent":
        return f"{number} %"
    return f"{number} {'point' if number in ('1', '-1') else 'points'}"


def format_earn_by(earn_by: date | datetime) -> str:
    """ "30 June 2027", or "30 June 2027 at 17:00 (UTC+02:00)" for an exact instant."""
    day = f"{earn_by.day} {MONTHS[earn_by.month - 1]} {earn_by.year}"
    if not isinstance(earn_by, datetime):
        return day
    clock = f"{earn_by.hour:02d}:{earn_by.minute:02d}"
    if earn_by.second or earn_by.microsecond:
        clock += f":{earn_by.second:02d}"
    return f"{day} at {clock} ({_offset(earn_by.utcoffset() or timedelta(0))})"


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def column_label(column: str, labels: Mapping[str, str]) -> str:
    """The column's name on the staff page, or "column 12" when we were not told it."""
    label = labels.get(column)
    return label if label else f"column {column}"


def completion_subject(column: str, labels: Mapping[str, str], kinds: Mapping[str, str]) -> str:
    """What completing the column means, inside a sentence: "Quiz 1", "the course"."""
    if kinds.get(column) == "course_completion":
        return "the course"
    # Completion columns are titled "Quiz 1 (completed)" beside the quiz's own score column
    # (titles must stay distinct); "complete Quiz 1 (completed)" would say it twice.
    return column_label(column, labels).removesuffix(" (completed)")


def completion_count(evidence: Evidence, kinds: Mapping[str, str]) -> str:
    """ "completed", "not completed yet", or "2 of 3 activities completed" for several."""
    total = len(evidence.columns)
    if total == 1:
        return "completed" if evidence.met else "not completed yet"
    found = {kinds.get(c, "") for c in evidence.columns}
    noun = {"activity_completion": " activities", "module_completion": " modules"}
    done = total - len(evidence.missing)
    return f"{done} of {total}{noun.get(found.pop(), '') if len(found) == 1 else ''} completed"


def badge_label(badge: str, names: Mapping[str, str]) -> str:
    """ "Foundations badge" (no doubled word for names already ending in "badge")."""
    name = names.get(badge)
    if not name:
        return f"badge {badge}"
    return name if name.casefold().endswith("badge") else f"{name} badge"


def badge_phrase(badge: str, names: Mapping[str, str]) -> str:
    """ "the Foundations badge" in a sentence; "badge 7" needs no article."""
    name = names.get(badge)
    return f"the {badge_label(badge, names)}" if name else badge_label(badge, names)


def capitalize(text: str) -> str:
    """Upper-case only the first character ("column 12" -> "Column 12"; "iPad" is left alone
    only when it is not first, which is the best plain text can do)."""
    return text[:1].upper() + text[1:]


def join_and(parts: Sequence[str]) -> str:
    """ "A", "A and B", "A, B, and C" (serial comma: nested criteria stay unambiguous)."""
    return _join(parts, "and")


def join_or(parts: Sequence[str]) -> str:
    """ "A", "A or B", "A, B, or C"."""
    return _join(parts, "or")


def _join(parts: Sequence[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        return f"{parts[0]} {word} {parts[1]}"
    return f"{', '.join(parts[:-1])}, {word} {parts[-1]}"


def evidence_text(
    evidence: Evidence,
    column_labels: Mapping[str, str],
    badge_names: Mapping[str, str],
    column_kinds: Mapping[str, str] | None = None,
) -> str:
    """One fact as a line: "Quiz 3: 85 % (needed 80 %)", "Foundations badge: not earned yet",
    "Quiz 1, Quiz 2, and Lab: 2 of 3 activities completed (not yet: Lab)"."""
    if evidence.kind == "badge":
        label = capitalize(badge_label(evidence.badge or "", badge_names))
        return f"{label}: {'earned' if evidence.met else 'not earned yet'}"
    if evidence.kind == "completed":
        kinds = column_kinds or {}
        line = f"{completion_title(evidence, column_labels, kinds)}: "
        line += completion_count(evidence, kinds)
        notes = []
        if evidence.missing and len(evidence.columns) > 1:
            pending = [completion_subject(c, column_labels, kinds) for c in evidence.missing]
            notes.append(f"not yet: {join_and(pending)}")
        if evidence.late:
            notes.append("completed after the earn-by date")
        return line + (f" ({'; '.join(notes)})" if notes else "")

    labels = [column_label(c, column_labels) for c in evidence.columns]
    unit = evidence.unit or "percent"
    threshold = evidence.threshold if evidence.threshold is not None else 0.0
    notes = [f"needed {format_threshold(threshold, unit)}"]
    title = _title(evidence, labels)

    if evidence.kind == "column":
        if evidence.problem == "no_grade":
            current = "no grade yet"
        elif evidence.problem == "no_maximum":
            current = "no percentage (the column has no maximum score)"
        else:
            value = evidence.value if evidence.value is not None else 0.0
            current = format_measure(value, unit, threshold)
    else:
        value = evidence.value if evidence.value is not None else 0.0
        current = format_measure(value, unit, threshold)
        if evidence.missing:
            missing = join_and([column_label(c, column_labels) for c in evidence.missing])
            zero = "0 %" if evidence.kind == "average" else "0 points"
            notes.append(f"no grade in {missing}, counted as {zero}")

    if evidence.late:
        notes.append("graded after the earn-by date")
    if evidence.borderline:
        notes.append("within the review band")
    return f"{title}: {current} ({'; '.join(notes)})"


def completion_title(
    evidence: Evidence, labels: Mapping[str, str], kinds: Mapping[str, str]
) -> str:
    """ "Quiz 1", "The course", "Quiz 1, Quiz 2, and Lab": what a completion fact is about."""
    return capitalize(join_and([completion_subject(c, labels, kinds) for c in evidence.columns]))


def _title(evidence: Evidence, labels: Sequence[str]) -> str:
    if evidence.kind == "column":
        return capitalize(labels[0])
    what = "Average" if evidence.kind == "average" else "Total"
    return f"{what} of {join_and(labels)}"


def met_text(
    evidence: Evidence,
    column_labels: Mapping[str, str],
    badge_names: Mapping[str, str],
    column_kinds: Mapping[str, str] | None = None,
) -> str:
    """A met fact without the learner's numbers, for public evidence: "Quiz 3: 80 % or more
    reached", "Foundations badge: earned", "Quiz 1 and the course: completed"."""
    if evidence.kind == "badge":
        return evidence_text(evidence, column_labels, badge_names)
    if evidence.kind == "completed":
        return f"{completion_title(evidence, column_labels, column_kinds or {})}: completed"
    labels = [column_label(c, column_labels) for c in evidence.columns]
    threshold = evidence.threshold if evidence.threshold is not None else 0.0
    needed = format_threshold(threshold, evidence.unit or "percent")
    return f"{_title(evidence, labels)}: {needed} or more reached"
