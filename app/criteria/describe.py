"""The human-readable criteria text embedded in the badge (OB criteria narrative).

Generated from the same structure `evaluate` runs, so the text can never drift from the rule:

    >>> describe(parse_criteria({"all": [{"column": 3, "min_percent": 80},
    ...                                  {"badge": "f"}], "earn_by": "2027-06-30"}),
    ...          {"3": "Quiz 3"}, {"f": "Foundations"})
    'Score at least 80 % in Quiz 3 and earn the Foundations badge. Earn by 30 June 2027.'

Wording rules (deterministic; English is the source, other languages come from the translator
`app.criteria.language` holds; one sentence plus the deadline):

* leaves: "score at least 80 % in Quiz 3", "score at least 40 points in Lab 1",
  "earn the Foundations badge", "average at least 70 % across Quiz 1, Quiz 2, and Quiz 3"
  (a missing grade counts as 0 %), "score a total of at least 150 points across ...";
* completion, when the column kinds are known: "complete Quiz 1", "complete Quiz 1 and the
  course", "reach a course total of at least 60 %" (a threshold on the course total column);
* ``all`` joins with "and", ``any`` with "or" ("either A or B" for two), ``at_least`` K of N
  says "at least two of the following: A; B; C" (K = 1 reads as ``any``, K = N as ``all``);
* an ``all`` inside an ``all`` (or ``any`` in ``any``) is flattened, since it means the same;
  any other combinator nested in a combinator is put in parentheses, so "A and (B or C)"
  cannot be read as "(A and B) or C";
* the review band is internal process, not part of what the badge certifies: not mentioned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.criteria._format import (
    capitalize,
    column_label,
    completion_subject,
    earn_phrase,
    evidence_text,
    format_earn_by,
    format_threshold,
    join_and,
    join_or,
    met_text,
)
from app.criteria.language import N_, Translator, using
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
)

__all__ = ["describe", "describe_node", "evidence_text", "met_text", "number_word"]

# Only ever "at least two of the following": translators give the form that fits there.
_NUMBER_WORDS = (
    N_("zero"),
    N_("one"),
    N_("two"),
    N_("three"),
    N_("four"),
    N_("five"),
    N_("six"),
    N_("seven"),
    N_("eight"),
    N_("nine"),
    N_("ten"),
)


def number_word(n: int) -> str:
    """ "two" for 2 ... "ten"; digits beyond (style guides spell out small numbers only)."""
    return _(_NUMBER_WORDS[n]) if 0 <= n < len(_NUMBER_WORDS) else str(n)


@dataclass(frozen=True, slots=True)
class _Words:
    """What names the ids: column labels and kinds, badge names."""

    labels: Mapping[str, str]
    names: Mapping[str, str]
    kinds: Mapping[str, str]


def describe(
    criteria: Criteria,
    column_labels: Mapping[str, str] | None = None,
    badge_names: Mapping[str, str] | None = None,
    column_kinds: Mapping[str, str] | None = None,
    *,
    translator: Translator | None = None,
) -> str:
    """The criteria as text, e.g.
    "Score at least 80 % in Quiz 3 and earn the Foundations badge. Earn by 30 June 2027."

    ``column_labels`` maps column id -> name shown to learners, ``badge_names`` badge id ->
    badge name, ``column_kinds`` column id -> kind (``course_total``, ``course_completion``,
    ...: "complete the course" rather than "complete Course completion"); unknown ids read
    "column 12" / "badge 7" rather than failing.  ``translator`` is the installed one (the
    page's language) unless given: the text a badge embeds passes ``language.SOURCE``.
    """
    words = _Words(column_labels or {}, badge_names or {}, column_kinds or {})
    with using(translator):
        text = _("{criteria}.").format(
            criteria=capitalize(describe_node(criteria.root, words, top=True))
        )
        if criteria.earn_by is not None:
            text += " " + _("Earn by {date}.").format(date=format_earn_by(criteria.earn_by))
    return text


def describe_node(node: Node, words: _Words, *, top: bool = False) -> str:
    """One node as a lower-case clause (no final full stop).

    ``top`` marks the whole document: a top-level list with nested combinators becomes
    "all of the following: A; either B or C" rather than starting with a parenthesis.
    """
    labels = words.labels
    if isinstance(node, ColumnNode):
        threshold = format_threshold(node.threshold, node.unit)
        if words.kinds.get(node.column) == "course_total":
            return _("reach a course total of at least {threshold}").format(threshold=threshold)
        column = column_label(node.column, labels)
        return _("score at least {threshold} in {column}").format(
            threshold=threshold, column=column
        )
    if isinstance(node, CompletedNode):
        subjects = [completion_subject(c, labels, words.kinds) for c in node.columns]
        return _("complete {activities}").format(activities=join_and(subjects))
    if isinstance(node, BadgeNode):
        return earn_phrase(node.badge, words.names)
    if isinstance(node, AverageNode):
        columns = [column_label(c, labels) for c in node.columns]
        threshold = format_threshold(node.min_percent, "percent")
        if len(columns) == 1:
            return _("score at least {threshold} in {column}").format(
                threshold=threshold, column=columns[0]
            )
        return _("average at least {threshold} across {columns}").format(
            threshold=threshold, columns=join_and(columns)
        )
    if isinstance(node, SumNode):
        columns = [column_label(c, labels) for c in node.columns]
        threshold = format_threshold(node.min_points, "points")
        if len(columns) == 1:
            return _("score at least {threshold} in {column}").format(
                threshold=threshold, column=columns[0]
            )
        return _("score a total of at least {threshold} across {columns}").format(
            threshold=threshold, columns=join_and(columns)
        )
    if isinstance(node, AtLeastNode) and 1 < node.k < len(node.children):
        parts = [_listed(c, words) for c in node.children]
        return _("at least {count} of the following: {items}").format(
            count=number_word(node.k), items=_("; ").join(parts)
        )
    if isinstance(node, AllNode | AtLeastNode) and (
        isinstance(node, AllNode) or node.k >= len(node.children)
    ):
        children = _flatten(node, AllNode) if isinstance(node, AllNode) else list(node.children)
        if len(children) == 1:  # a one-child wrapper reads as its child
            return describe_node(children[0], words, top=top)
        if top and _has_compound(children):
            items = _("; ").join(_listed(c, words) for c in children)
            return _("all of the following: {items}").format(items=items)
        return join_and([_nested(c, words) for c in children])
    if isinstance(node, AnyNode | AtLeastNode):  # an AtLeastNode here has k == 1
        children = _flatten(node, AnyNode) if isinstance(node, AnyNode) else list(node.children)
        if len(children) == 1:
            return describe_node(children[0], words, top=top)
        if top and len(children) > 2 and _has_compound(children):
            items = _("; ").join(_listed(c, words) for c in children)
            return _("one of the following: {items}").format(items=items)
        parts = [_nested(c, words) for c in children]
        if len(parts) == 2:
            return _("either {first} or {second}").format(first=parts[0], second=parts[1])
        return join_or(parts)
    raise TypeError(f"not a criteria node: {node!r}")


def _has_compound(children: list[Node]) -> bool:
    return any(
        isinstance(c, AllNode | AnyNode | AtLeastNode) and _effective_size(c) > 1 for c in children
    )


def _listed(node: Node, words: _Words) -> str:
    """An item of a "; "-separated list: parenthesized only if it has its own semicolons."""
    text = describe_node(node, words)
    return f"({text})" if _("; ").strip() in text else text


def _flatten(node: AllNode | AnyNode, kind: type) -> list[Node]:
    """Children with same-kind combinators spliced in: all(a, all(b, c)) reads as all(a, b, c)."""
    out: list[Node] = []
    for child in node.children:
        if isinstance(child, kind):
            out.extend(_flatten(child, kind))  # type: ignore[arg-type]
        else:
            out.append(child)
    return out


def _nested(node: Node, words: _Words) -> str:
    """A child clause inside a combinator: parenthesized when it is itself a real combinator."""
    text = describe_node(node, words)
    if isinstance(node, AllNode | AnyNode | AtLeastNode) and _effective_size(node) > 1:
        return f"({text})"
    return text


def _effective_size(node: AllNode | AnyNode | AtLeastNode) -> int:
    """How many clauses the combinator prints (a one-child wrapper prints just its child)."""
    if isinstance(node, AllNode | AnyNode) and len(node.children) == 1:
        only = node.children[0]
        if isinstance(only, AllNode | AnyNode | AtLeastNode):
            return _effective_size(only)
        return 1
    return len(node.children)
