"""Evaluate criteria against one learner's grades: pure, deterministic, never raises on data.

Semantics (the contract the award pipeline, the preview and the learner page rely on):

* **Percent** of a column is ``score / maximum * 100``.  A missing or non-finite score, or a
  missing, zero, negative or non-finite maximum, gives no percentage: the leaf is not met (we
  never divide by zero and never guess a maximum).
* **Points** compare the raw score; the maximum is not needed.
* **Average** is the mean of the listed columns' percentages; a column with no usable grade
  counts as **0 %**, so an average cannot be reached by simply skipping the hard quiz.
* **Sum** adds the raw scores; a column with no usable grade counts as 0 points.
* **Completed** is met when every listed completion column holds its maximum (100 of 100;
  a column without a maximum needs 100).  No grade, or any less, is not completed; a
  completion has no review band (it is done or not).
* **Thresholds are inclusive** and compared with a tiny relative tolerance (`EPSILON`), so
  ``0.57 / 1 * 100 == 56.99999999999999`` meets a 57 % threshold.
* **Review band**: a leaf or aggregate below its threshold by at most ``review_band_percent``
  (percentage points for percent thresholds; that percentage *of the threshold* for points)
  is *borderline*.  The outcome is ``"review"`` when the criteria are not met but would be if
  every borderline part were met.  With a band of 0 nothing is borderline, so "review" never
  happens.  Technically each node has a status ``UNMET < BORDERLINE < MET``; ``all`` takes the
  minimum of its children, ``any`` the maximum, ``at_least K`` the K-th highest, which is
  exactly "met if the borderline leaves were met".
* **earn_by**: while ``now`` is not past the deadline, every grade counts.  Once it has passed,
  only grades *given* by the deadline count: a grade counts when its timestamp is at or before
  the deadline; a grade without a timestamp cannot be shown to be in time, so it does not
  (callers should pass the best-known time the grade was given).  Then:

  - met with the in-time grades → ``"award"`` (syncing late never costs a learner a badge);
  - borderline with the in-time grades → ``"review"``;
  - met only thanks to late grades → ``"expired"`` (staff may still award by hand);
  - otherwise → ``"not_met"`` (with a reason saying the date has passed; see
    `Decision.deadline_passed`).

  Prerequisite badges carry no time, so holding one always counts.
* Naive datetimes (``now`` or grade timestamps, e.g. read back from SQLite) are taken as UTC.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from app.criteria._format import evidence_text, format_earn_by
from app.criteria.language import gettext as _
from app.criteria.schema import (
    AllNode,
    AnyNode,
    AtLeastNode,
    AverageNode,
    BadgeNode,
    ColumnNode,
    CompletedNode,
    Criteria,
    Node,
    SumNode,
    Unit,
    child_key,
)

__all__ = [
    "EPSILON",
    "Decision",
    "Evidence",
    "Grade",
    "Outcome",
    "evaluate",
]

Outcome = Literal["award", "review", "not_met", "expired"]
EvidenceKind = Literal["column", "average", "sum", "badge", "completed"]
Problem = Literal["no_grade", "no_maximum"]

EPSILON = 1e-9
"""Relative tolerance for threshold comparisons (values this close below count as equal)."""

# Node statuses, ordered so that all = min, any = max, at_least K = K-th highest.
UNMET, BORDERLINE, MET = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Grade:
    """One learner's result in one column, as the grade sources report it.

    ``timestamp`` is when the grade was given (used only for ``earn_by``); None when unknown.
    """

    column_id: str
    score: float | None
    maximum: float | None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact the decision rests on: a leaf (column or badge) or an aggregate.

    ``path`` is the JSON pointer of the node in the criteria document.  ``score`` is the raw
    score (the total for a sum; for a completion, how many of its columns are completed, of
    ``maximum``), ``percent`` the percentage (the mean for an average; for a
    points threshold, shown when the maximum is known).  ``met`` already accounts for the
    deadline: a late grade is never met, and says so in ``late``.  ``missing`` lists the columns
    without a usable grade; ``problem`` says why a single column could not be compared.
    """

    path: str
    kind: EvidenceKind
    columns: tuple[str, ...] = ()
    badge: str | None = None
    score: float | None = None
    maximum: float | None = None
    percent: float | None = None
    unit: Unit | None = None
    threshold: float | None = None
    met: bool = False
    borderline: bool = False
    late: bool = False
    missing: tuple[str, ...] = ()
    problem: Problem | None = None

    @property
    def column(self) -> str | None:
        """The column of a single-column fact (None for aggregates and badges)."""
        return self.columns[0] if self.kind == "column" else None

    @property
    def value(self) -> float | None:
        """The number compared with ``threshold``: percent or points, per ``unit``."""
        if self.unit == "percent":
            return self.percent
        if self.unit == "points":
            return self.score
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of `evaluate`.

    ``evidence`` lists every leaf and aggregate in document order (the narrative "Quiz 3: 85 %
    (needed 80 %)" is built from it).  ``reasons`` is empty for "award"; otherwise it says, in
    plain English with column/badge ids, what stands in the way (only the parts that block:
    an unmet option of a met "any" is not a reason).  In an "expired" decision the evidence
    describes the evaluation *ignoring* the deadline, with late grades flagged.
    """

    outcome: Outcome
    evidence: tuple[Evidence, ...] = ()
    reasons: tuple[str, ...] = ()
    deadline_passed: bool = False

    @property
    def met(self) -> bool:
        """True when the badge should be issued automatically."""
        return self.outcome == "award"


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Pass:
    """One walk over the tree: node statuses and evidence keyed by JSON-pointer path.

    Shared with `app.criteria.progress`, which renders the same walk for the learner page.
    """

    status: int = UNMET
    statuses: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    saw_late: bool = False


class _Context:
    """What one walk needs; a plain class with slots because it is hot."""

    __slots__ = ("band", "cutoff", "drop_late", "earned", "grades", "result")

    def __init__(
        self,
        grades: Mapping[str, Grade],
        earned: Collection[str],
        band: float,
        cutoff: datetime | None,
        drop_late: bool,
    ) -> None:
        self.grades = grades
        self.earned = earned
        self.band = band
        self.cutoff = cutoff  # None while the deadline has not passed: every grade counts
        self.drop_late = drop_late
        self.result = Pass()


def evaluate(
    criteria: Criteria,
    grades: Mapping[str, Grade],
    earned: Collection[str],
    now: datetime,
) -> Decision:
    """Decide whether one learner meets ``criteria`` at ``now``.

    ``grades`` maps column id (str) to that learner's `Grade`; ``earned`` holds the ids (str)
    of badges the learner already has.  Pure and deterministic: the same arguments give an
    equal `Decision`; any grade values (missing, NaN, negative, zero maximum) are handled.
    """
    in_time, full, passed = run(criteria, grades, earned, now)
    if in_time.status == MET:
        return Decision("award", tuple(in_time.evidence.values()), (), passed)
    if in_time.status == BORDERLINE:
        reasons = _reasons(criteria.root, in_time)
        return Decision("review", tuple(in_time.evidence.values()), reasons, passed)
    if full is not None and full.status == MET:
        late = [ev for ev in full.evidence.values() if ev.late]
        reasons = (
            _("the criteria were met only after the earn-by date ({date})").format(
                date=_deadline_text(criteria)
            ),
            *(_fact(ev) for ev in late),
        )
        return Decision("expired", tuple(full.evidence.values()), reasons, passed)
    reasons = _reasons(criteria.root, in_time)
    if passed:
        passed_by = _("the earn-by date ({date}) has passed")
        reasons = (*reasons, passed_by.format(date=_deadline_text(criteria)))
    return Decision("not_met", tuple(in_time.evidence.values()), reasons, passed)


def run(
    criteria: Criteria,
    grades: Mapping[str, Grade],
    earned: Collection[str],
    now: datetime,
) -> tuple[Pass, Pass | None, bool]:
    """Walk the criteria: ``(in_time_pass, full_pass_or_None, deadline_passed)``.

    The full pass (late grades counted) is only computed when it could change the outcome:
    the deadline has passed, some grade was late, and the in-time pass is not already met.
    """
    deadline = criteria.deadline
    passed = deadline is not None and _aware(now) > deadline
    cutoff = deadline if passed else None
    band = criteria.review_band_percent
    ctx = _Context(grades, earned, band, cutoff, drop_late=True)
    ctx.result.status = _walk(criteria.root, "", ctx)
    in_time = ctx.result
    full = None
    if in_time.status == UNMET and in_time.saw_late:
        ctx = _Context(grades, earned, band, cutoff, drop_late=False)
        ctx.result.status = _walk(criteria.root, "", ctx)
        full = ctx.result
    return in_time, full, passed


def _walk(node: Node, path: str, ctx: _Context) -> int:
    if isinstance(node, ColumnNode):
        status = _column(node, path, ctx)
    elif isinstance(node, AllNode):
        status = min([_walk(c, f"{path}/all/{i}", ctx) for i, c in enumerate(node.children)])
    elif isinstance(node, AnyNode):
        status = max([_walk(c, f"{path}/any/{i}", ctx) for i, c in enumerate(node.children)])
    elif isinstance(node, AtLeastNode):
        statuses = [_walk(c, f"{path}/of/{i}", ctx) for i, c in enumerate(node.children)]
        status = _kth_highest(statuses, node.k)
    elif isinstance(node, BadgeNode):
        met = node.badge in ctx.earned
        ctx.result.evidence[path] = Evidence(path, "badge", badge=node.badge, met=met)
        status = MET if met else UNMET
    elif isinstance(node, AverageNode):
        status = _average(node, path, ctx)
    elif isinstance(node, SumNode):
        status = _sum(node, path, ctx)
    elif isinstance(node, CompletedNode):
        status = _completed(node, path, ctx)
    else:  # pragma: no cover - parse_criteria only builds the node types above
        raise TypeError(f"not a criteria node: {node!r}")
    ctx.result.statuses[path] = status
    return status


def _kth_highest(statuses: list[int], k: int) -> int:
    if k < 1:  # a hand-built node; parse_criteria rejects it, but stay total
        return MET
    if k > len(statuses):
        return UNMET
    return sorted(statuses, reverse=True)[k - 1]


def _compare(value: float, threshold: float, band: float) -> int:
    """Status of ``value`` against an inclusive ``threshold`` with a borderline ``band``."""
    slack = EPSILON * max(1.0, abs(threshold))
    if value >= threshold - slack:
        return MET
    if band > 0 and value >= threshold - band - slack:
        return BORDERLINE
    return UNMET


def _finite(value: float | None) -> float | None:
    """None for anything that is not a finite number (None, NaN, ±inf, junk types)."""
    if value is None:
        return None
    if type(value) is float:  # the common case, without the try/float() round trip
        return value if math.isfinite(value) else None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _percent(score: float | None, maximum: float | None) -> float | None:
    if score is None or maximum is None or maximum <= 0:
        return None
    percent = score / maximum * 100
    return percent if math.isfinite(percent) else None


def _is_late(grade: Grade, cutoff: datetime | None) -> bool:
    if cutoff is None:
        return False
    timestamp = grade.timestamp
    if not isinstance(timestamp, datetime):
        return True  # given at an unknown time, seen after the deadline: not provably in time
    return _aware(timestamp) > cutoff


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment


def _column(node: ColumnNode, path: str, ctx: _Context) -> int:
    grade = ctx.grades.get(node.column)
    score = maximum = None
    late = False
    if grade is not None:
        score, maximum = _finite(grade.score), _finite(grade.maximum)
        late = _is_late(grade, ctx.cutoff)
        if late:
            ctx.result.saw_late = True
    percent = _percent(score, maximum)
    problem: Problem | None = None
    if score is None:
        problem = "no_grade"
        status = UNMET
    elif node.unit == "percent":
        if percent is None:
            problem = "no_maximum"
            status = UNMET
        else:
            status = _compare(percent, node.threshold, ctx.band)
    else:
        status = _compare(score, node.threshold, node.threshold * ctx.band / 100)
    if late and ctx.drop_late:
        status = UNMET
    ctx.result.evidence[path] = Evidence(
        path,
        "column",
        columns=(node.column,),
        score=score,
        maximum=maximum,
        percent=percent,
        unit=node.unit,
        threshold=node.threshold,
        met=status == MET,
        borderline=status == BORDERLINE,
        late=late,
        missing=(node.column,) if problem else (),
        problem=problem,
    )
    return status


def _usable(
    columns: tuple[str, ...], ctx: _Context, want_percent: bool
) -> Iterator[tuple[str, float | None, bool]]:
    """Yield (column, value, late) for aggregates; value None when it counts as 0."""
    for column in columns:
        grade = ctx.grades.get(column)
        if grade is None:
            yield column, None, False
            continue
        late = _is_late(grade, ctx.cutoff)
        if late:
            ctx.result.saw_late = True
        score = _finite(grade.score)
        value = _percent(score, _finite(grade.maximum)) if want_percent else score
        if late and ctx.drop_late:
            value = None
        yield column, value, late


def _average(node: AverageNode, path: str, ctx: _Context) -> int:
    total = 0.0
    missing: list[str] = []
    any_late = False
    for column, value, late in _usable(node.columns, ctx, want_percent=True):
        any_late = any_late or late
        if value is None:  # counts as 0 %
            if not (late and ctx.drop_late):  # a late grade exists; `late` says so
                missing.append(column)
        else:
            total += value
    mean = total / len(node.columns)
    if not math.isfinite(mean):  # absurd but finite inputs can still overflow the sum
        mean = 0.0
    status = _compare(mean, node.min_percent, ctx.band)
    ctx.result.evidence[path] = Evidence(
        path,
        "average",
        columns=node.columns,
        percent=mean,
        unit="percent",
        threshold=node.min_percent,
        met=status == MET,
        borderline=status == BORDERLINE,
        late=any_late,
        missing=tuple(missing),
    )
    return status


def _sum(node: SumNode, path: str, ctx: _Context) -> int:
    total = 0.0
    missing: list[str] = []
    any_late = False
    for column, value, late in _usable(node.columns, ctx, want_percent=False):
        any_late = any_late or late
        if value is None:  # counts as 0 points
            if not (late and ctx.drop_late):
                missing.append(column)
        else:
            total += value
    if not math.isfinite(total):
        total = 0.0
    status = _compare(total, node.min_points, node.min_points * ctx.band / 100)
    ctx.result.evidence[path] = Evidence(
        path,
        "sum",
        columns=node.columns,
        score=total,
        unit="points",
        threshold=node.min_points,
        met=status == MET,
        borderline=status == BORDERLINE,
        late=any_late,
        missing=tuple(missing),
    )
    return status


def _is_complete(score: float | None, maximum: float | None) -> bool:
    if score is None:
        return False
    full = maximum if maximum is not None and maximum > 0 else 100.0
    return score >= full - EPSILON * full


def _completed(node: CompletedNode, path: str, ctx: _Context) -> int:
    missing: list[str] = []
    any_late = False
    for column in node.columns:
        grade = ctx.grades.get(column)
        late = grade is not None and _is_late(grade, ctx.cutoff)
        if late:
            ctx.result.saw_late = any_late = True
        done = grade is not None and _is_complete(_finite(grade.score), _finite(grade.maximum))
        if not done or (late and ctx.drop_late):
            missing.append(column)
    count = len(node.columns)
    met = not missing
    ctx.result.evidence[path] = Evidence(
        path,
        "completed",
        columns=node.columns,
        score=float(count - len(missing)),
        maximum=float(count),
        threshold=float(count),
        met=met,
        late=any_late,
        missing=tuple(missing),
    )
    return MET if met else UNMET


# --------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------


def _reasons(root: Node, result: Pass) -> tuple[str, ...]:
    """Facts from the parts that block: walk only into subtrees that are not met."""
    facts: list[str] = []
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if result.statuses.get(path, UNMET) == MET:
            continue
        if isinstance(node, AllNode | AnyNode | AtLeastNode):
            key = child_key(node)
            stack.extend(
                (child, f"{path}/{key}/{i}")
                for i, child in reversed(list(enumerate(node.children)))
            )
        else:
            facts.append(_fact(result.evidence[path]))
    return tuple(facts)


def _fact(evidence: Evidence) -> str:
    # No labels here (evaluate has no I/O): ids stand in, e.g. "column 12: 72 % (needed 80 %)".
    return evidence_text(evidence, {}, {})


def _deadline_text(criteria: Criteria) -> str:
    return format_earn_by(criteria.earn_by) if criteria.earn_by is not None else ""
