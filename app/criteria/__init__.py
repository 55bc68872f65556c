"""The criteria engine: who earns a badge, decided from grades alone.

Pure by design (no Flask, no database, no I/O; see DESIGN.md "Criteria are pure"), so it is
exhaustively property-tested and fast enough to run for every learner on every sync:

* `parse_criteria` / `criteria_to_json` — validate a criteria document (errors name the
  offending part as a JSON pointer, for the API's 422) and give its canonical form;
* `evaluate` — the `Decision` for one learner: award, review, not_met or expired;
* `describe` — the criteria text embedded in the badge (and shown on staff pages);
* `progress` — per-criterion progress for the learner page.

The words go through `app.criteria.language`: English (the source) until the application
installs its catalogue's translator; text embedded in a badge passes ``language.SOURCE``.
"""

from app.criteria.describe import describe, evidence_text, met_text
from app.criteria.evaluate import EPSILON, Decision, Evidence, Grade, Outcome, evaluate
from app.criteria.progress import ProgressItem, progress
from app.criteria.schema import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_NODES,
    AllNode,
    AnyNode,
    AtLeastNode,
    AverageNode,
    BadgeNode,
    ColumnNode,
    CompletedNode,
    Criteria,
    CriteriaError,
    Node,
    SumNode,
    completion_columns,
    criteria_to_json,
    parse_criteria,
    referenced_badges,
    referenced_columns,
)

__all__ = [
    "EPSILON",
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
    "Decision",
    "Evidence",
    "Grade",
    "Node",
    "Outcome",
    "ProgressItem",
    "SumNode",
    "completion_columns",
    "criteria_to_json",
    "describe",
    "evaluate",
    "evidence_text",
    "met_text",
    "parse_criteria",
    "progress",
    "referenced_badges",
    "referenced_columns",
]
