"""Per-criterion progress for the learner page ("why is this badge not mine yet?").

`progress` renders the same walk `evaluate` makes (the in-time one: a late grade shows its
score but is not met, flagged ``late``), as a flat list in document order with a ``depth`` for
indentation.  The top-level ``all`` is implicit (its children are the list at depth 0); every
other combinator is a heading item ("At least two of the following: 1 of 3 met") followed by
its children one level deeper.

``fraction`` (0..1) is for a progress bar: value / threshold for a leaf, the mean of the
children for ``all``, the best child for ``any``, the mean of the best K for ``at_least``,
the share completed for a completion ("2 of 3 activities completed").
It is 1.0 exactly when the item is met, and below 1.0 otherwise (a late 85 % against 80 %
shows 0.99, not a full bar that contradicts the missing tick).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.criteria._format import (
    aggregate_title,
    badge_label,
    capitalize,
    column_label,
    completion_count,
    completion_title,
    evidence_text,
    format_measure,
    format_threshold,
)
from app.criteria.describe import number_word
from app.criteria.evaluate import BORDERLINE, MET, Evidence, Grade, Pass, run
from app.criteria.language import gettext as _
from app.criteria.language import ngettext
from app.criteria.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    BadgeNode,
    Criteria,
    Node,
    child_key,
)

__all__ = ["ProgressItem", "progress"]

ItemKind = Literal["column", "average", "sum", "completed", "badge", "all", "any", "at_least"]
_ALMOST = 0.99  # the fullest bar an unmet item may show


@dataclass(frozen=True, slots=True)
class ProgressItem:
    """One line of the learner's progress.

    ``label`` "Quiz 3", ``current`` "72 %", ``needed`` "80 %", ``met``, ``fraction`` 0..1,
    and ``text``, the whole line ready to show: "Quiz 3: 72 % (needed 80 %)",
    "requires: Foundations badge ✓", "At least two of the following: 1 of 3 met".
    ``path`` is the node's JSON pointer, ``depth`` its indentation level; ``problem`` is
    ``no_grade`` or ``no_maximum`` when a leaf has no value to show (``current`` says so).
    """

    path: str
    kind: ItemKind
    depth: int
    label: str
    current: str
    needed: str
    met: bool
    fraction: float
    text: str
    borderline: bool = False
    late: bool = False
    problem: str = ""


def progress(
    criteria: Criteria,
    grades: Mapping[str, Grade],
    earned: Collection[str],
    now: datetime,
    column_labels: Mapping[str, str] | None = None,
    badge_names: Mapping[str, str] | None = None,
    column_kinds: Mapping[str, str] | None = None,
) -> list[ProgressItem]:
    """The learner's progress on every criterion, in document order (pure, never raises on
    grade data; same arguments as `evaluate` plus the labels and column kinds for display)."""
    in_time, _full, _passed = run(criteria, grades, earned, now)
    builder = _Builder(in_time, column_labels or {}, badge_names or {}, column_kinds or {})
    root = criteria.root
    if isinstance(root, AllNode):
        for i, child in enumerate(root.children):
            builder.visit(child, f"/all/{i}", 0)
    else:
        builder.visit(root, "", 0)
    return builder.items


class _Builder:
    __slots__ = ("items", "kinds", "labels", "names", "result")

    def __init__(
        self,
        result: Pass,
        labels: Mapping[str, str],
        names: Mapping[str, str],
        kinds: Mapping[str, str],
    ):
        self.result = result
        self.labels = labels
        self.names = names
        self.kinds = kinds
        self.items: list[ProgressItem] = []

    def visit(self, node: Node, path: str, depth: int) -> float:
        """Append the node's item(s); return its fraction for the parent's bar."""
        status = self.result.statuses[path]
        met = status == MET
        if isinstance(node, AllNode | AnyNode | AtLeastNode):
            return self._group(node, path, depth, status)
        if isinstance(node, BadgeNode):
            label = badge_label(node.badge, self.names)
            fraction = 1.0 if met else 0.0
            self.items.append(
                ProgressItem(
                    path, "badge", depth, capitalize(label),
                    _("earned") if met else _("not earned yet"), _("earned"), met, fraction,
                    _("requires: {badge}").format(badge=label) + (" ✓" if met else " ✗"),
                )
            )  # fmt: skip
            return fraction
        evidence = self.result.evidence[path]
        fraction = _leaf_fraction(evidence)
        text = evidence_text(evidence, self.labels, self.names, self.kinds) + (" ✓" if met else "")
        if evidence.kind == "completed":
            count = len(evidence.columns)
            self.items.append(
                ProgressItem(
                    path, "completed", depth, completion_title(evidence, self.labels, self.kinds),
                    completion_count(evidence, self.kinds),
                    _("completed") if count == 1 else ngettext(
                        "all {count} completed", "all {count} completed", count
                    ).format(count=count),
                    met, fraction, text, False, evidence.late,
                )
            )  # fmt: skip
            return fraction
        self.items.append(
            ProgressItem(
                path, evidence.kind, depth, self._leaf_label(evidence), _current(evidence),
                format_threshold(evidence.threshold or 0.0, evidence.unit or "percent"),
                met, fraction, text, status == BORDERLINE, evidence.late, evidence.problem or "",
            )
        )  # fmt: skip
        return fraction

    def _leaf_label(self, evidence: Evidence) -> str:
        labels = [column_label(c, self.labels) for c in evidence.columns]
        if evidence.kind == "column":
            return capitalize(labels[0])
        return aggregate_title(evidence.kind, _(", ").join(labels))

    def _group(
        self, node: AllNode | AnyNode | AtLeastNode, path: str, depth: int, status: int
    ) -> float:
        slot = len(self.items)  # the heading goes before its children, filled in afterwards
        key = child_key(node)
        fractions = [
            self.visit(child, f"{path}/{key}/{i}", depth + 1)
            for i, child in enumerate(node.children)
        ]
        count = len(node.children)
        met_count = sum(self.result.statuses[f"{path}/{key}/{i}"] == MET for i in range(count))
        kind: ItemKind
        if isinstance(node, AllNode):
            k, kind, label = count, "all", _("All of the following")
            fraction = sum(fractions) / count
        elif isinstance(node, AnyNode):
            k, kind, label = 1, "any", _("Any one of the following")
            fraction = max(fractions)
        else:
            k, kind = node.k, "at_least"
            label = _("At least {count} of the following").format(count=number_word(node.k))
            best = sorted(fractions, reverse=True)[: node.k]
            fraction = sum(best) / len(best) if best else 1.0
        met = status == MET
        fraction = 1.0 if met else min(max(fraction, 0.0), _ALMOST)
        current = ngettext("{met} of {count} met", "{met} of {count} met", count).format(
            met=met_count, count=count
        )
        needed = _("{k} of {count}").format(k=k, count=count)
        self.items.insert(
            slot,
            ProgressItem(
                path, kind, depth, label, current, needed, met, fraction,
                _("{label}: {current}").format(label=label, current=current)
                + (" ✓" if met else ""), status == BORDERLINE,
            ),
        )  # fmt: skip
        return fraction


def _current(evidence: Evidence) -> str:
    if evidence.problem == "no_grade":
        return _("no grade yet")
    if evidence.problem == "no_maximum":
        return _("no maximum score")
    value = evidence.value if evidence.value is not None else 0.0
    return format_measure(value, evidence.unit or "percent", evidence.threshold)


def _leaf_fraction(evidence: Evidence) -> float:
    if evidence.met:
        return 1.0
    if evidence.kind == "completed":
        done = len(evidence.columns) - len(evidence.missing)
        return min(done / len(evidence.columns), _ALMOST)
    value, threshold = evidence.value, evidence.threshold or 0.0
    if value is None or evidence.problem:
        return 0.0
    fraction = (1.0 if value >= 0 else 0.0) if threshold <= 0 else value / threshold
    return min(max(fraction, 0.0), _ALMOST)
