"""Shared formatting for criteria text, evidence narratives and progress items.

Kept in one place so the badge's criteria text, the learner page and the staff review queue
spell numbers, dates and labels identically.  Pure; the words go through the installed
translator (`app.criteria.language`), never the server's locale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from app.criteria.language import current, ngettext
from app.criteria.language import gettext as _

if TYPE_CHECKING:  # only for annotations: evaluate imports this module
    from app.criteria.evaluate import Evidence


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
    shown = current().decimal(number)
    if unit == "percent":
        return _("{number} %").format(number=shown)
    if "." in number:  # a fraction ("1.5 points"): no count to choose a plural form by
        return _("{number} points").format(number=shown)
    return ngettext("{number} point", "{number} points", abs(int(number))).format(number=shown)


def format_earn_by(earn_by: date | datetime) -> str:
    """ "30 June 2027", or "30 June 2027 at 17:00 (UTC+02:00)" for an exact instant."""
    day = current().date(earn_by if not isinstance(earn_by, datetime) else earn_by.date())
    if not isinstance(earn_by, datetime):
        return day
    clock = f"{earn_by.hour:02d}:{earn_by.minute:02d}"
    if earn_by.second or earn_by.microsecond:
        clock += f":{earn_by.second:02d}"
    offset = _offset(earn_by.utcoffset() or timedelta(0))
    return _("{date} at {time} ({offset})").format(date=day, time=clock, offset=offset)


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
    return label if label else _("column {id}").format(id=column)


def completion_subject(column: str, labels: Mapping[str, str], kinds: Mapping[str, str]) -> str:
    """What completing the column means, inside a sentence: "Quiz 1", "the course"."""
    if kinds.get(column) == "course_completion":
        return _("the course")
    # Completion columns are titled "Quiz 1 (completed)" beside the quiz's own score column
    # (titles must stay distinct); "complete Quiz 1 (completed)" would say it twice.
    return column_label(column, labels).removesuffix(" (completed)")


def completion_count(evidence: Evidence, kinds: Mapping[str, str]) -> str:
    """ "completed", "not completed yet", or "2 of 3 activities completed" for several."""
    total = len(evidence.columns)
    if total == 1:
        return _("completed") if evidence.met else _("not completed yet")
    found = {kinds.get(c, "") for c in evidence.columns}
    kind = found.pop() if len(found) == 1 else ""
    done = total - len(evidence.missing)
    if kind == "activity_completion":
        text = ngettext(
            "{done} of {total} activity completed", "{done} of {total} activities completed", total
        )
    elif kind == "module_completion":
        text = ngettext(
            "{done} of {total} module completed", "{done} of {total} modules completed", total
        )
    else:
        text = ngettext("{done} of {total} completed", "{done} of {total} completed", total)
    return text.format(done=done, total=total)


def badge_label(badge: str, names: Mapping[str, str]) -> str:
    """ "Foundations badge" (no doubled word for names already ending in "badge")."""
    name = names.get(badge)
    if not name:
        return _("badge {id}").format(id=badge)
    return name if _names_badge(name) else _("{name} badge").format(name=name)


def _names_badge(name: str) -> bool:
    return name.casefold().endswith("badge")


def earn_phrase(badge: str, names: Mapping[str, str]) -> str:
    """ "earn the Foundations badge", "earn badge 7" (a clause of the criteria text)."""
    name = names.get(badge)
    if not name:
        return _("earn badge {id}").format(id=badge)
    if _names_badge(name):
        return _("earn the {name}").format(name=name)
    return _("earn the {name} badge").format(name=name)


def capitalize(text: str) -> str:
    """Upper-case only the first character ("column 12" -> "Column 12"; "iPad" is left alone
    only when it is not first, which is the best plain text can do)."""
    return text[:1].upper() + text[1:]


def join_and(parts: Sequence[str]) -> str:
    """ "A", "A and B", "A, B, and C" (serial comma: nested criteria stay unambiguous)."""
    if len(parts) == 2:
        return _("{first} and {second}").format(first=parts[0], second=parts[1])
    if len(parts) > 2:
        return _("{items}, and {last}").format(items=_(", ").join(parts[:-1]), last=parts[-1])
    return "".join(parts)


def join_or(parts: Sequence[str]) -> str:
    """ "A", "A or B", "A, B, or C"."""
    if len(parts) == 2:
        return _("{first} or {second}").format(first=parts[0], second=parts[1])
    if len(parts) > 2:
        return _("{items}, or {last}").format(items=_(", ").join(parts[:-1]), last=parts[-1])
    return "".join(parts)


def _notes(line: str, notes: Sequence[str]) -> str:
    """ "Quiz 3: 72 % (needed 80 %; within the review band)": a line and its notes."""
    if not notes:
        return line
    return _("{line} ({notes})").format(line=line, notes=_("; ").join(notes))


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
        line = _("{badge}: earned") if evidence.met else _("{badge}: not earned yet")
        return line.format(badge=label)
    if evidence.kind == "completed":
        kinds = column_kinds or {}
        line = _("{title}: {status}").format(
            title=completion_title(evidence, column_labels, kinds),
            status=completion_count(evidence, kinds),
        )
        notes = []
        if evidence.missing and len(evidence.columns) > 1:
            pending = [completion_subject(c, column_labels, kinds) for c in evidence.missing]
            notes.append(_("not yet: {items}").format(items=join_and(pending)))
        if evidence.late:
            notes.append(_("completed after the earn-by date"))
        return _notes(line, notes)

    labels = [column_label(c, column_labels) for c in evidence.columns]
    unit = evidence.unit or "percent"
    threshold = evidence.threshold if evidence.threshold is not None else 0.0
    notes = [_("needed {threshold}").format(threshold=format_threshold(threshold, unit))]
    title = _title(evidence, labels)

    if evidence.kind == "column":
        if evidence.problem == "no_grade":
            current_text = _("no grade yet")
        elif evidence.problem == "no_maximum":
            current_text = _("no percentage (the column has no maximum score)")
        else:
            value = evidence.value if evidence.value is not None else 0.0
            current_text = format_measure(value, unit, threshold)
    else:
        value = evidence.value if evidence.value is not None else 0.0
        current_text = format_measure(value, unit, threshold)
        if evidence.missing:
            missing = join_and([column_label(c, column_labels) for c in evidence.missing])
            zero = format_threshold(0.0, "percent" if evidence.kind == "average" else "points")
            notes.append(
                _("no grade in {columns}, counted as {zero}").format(columns=missing, zero=zero)
            )

    if evidence.late:
        notes.append(_("graded after the earn-by date"))
    if evidence.borderline:
        notes.append(_("within the review band"))
    return _notes(_("{title}: {current}").format(title=title, current=current_text), notes)


def completion_title(
    evidence: Evidence, labels: Mapping[str, str], kinds: Mapping[str, str]
) -> str:
    """ "Quiz 1", "The course", "Quiz 1, Quiz 2, and Lab": what a completion fact is about."""
    return capitalize(join_and([completion_subject(c, labels, kinds) for c in evidence.columns]))


def aggregate_title(kind: str, columns: str) -> str:
    """ "Average of Quiz 1 and Quiz 2", "Total of Lab 1, Lab 2": an aggregate's name."""
    if kind == "average":
        return _("Average of {columns}").format(columns=columns)
    return _("Total of {columns}").format(columns=columns)


def _title(evidence: Evidence, labels: Sequence[str]) -> str:
    if evidence.kind == "column":
        return capitalize(labels[0])
    return aggregate_title(evidence.kind, join_and(labels))


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
        title = completion_title(evidence, column_labels, column_kinds or {})
        return _("{title}: completed").format(title=title)
    labels = [column_label(c, column_labels) for c in evidence.columns]
    threshold = evidence.threshold if evidence.threshold is not None else 0.0
    needed = format_threshold(threshold, evidence.unit or "percent")
    return _("{title}: {threshold} or more reached").format(
        title=_title(evidence, labels), threshold=needed
    )
