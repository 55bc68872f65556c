"""Fast RDFC-1.0 canonicalization for the documents the signer produces.

Plain pyld spends most of its time re-processing the (large) contexts for every document. The
documents we sign come in a handful of *shapes*: the same keys, types and contexts, with
different string values. So the JSON-LD work is done once per shape:

1. The shape of a document is its JSON with every string value replaced by a slot (keys,
   ``@context`` and ``type`` values, numbers and booleans stay, since they change what the
   contexts produce).
2. For a new shape, pyld turns a copy whose slots hold sentinel IRIs into RDF. Each sentinel
   lands either as a whole IRI or as a whole literal; that makes a quad template.
3. Later documents of that shape fill the template with their values (escaped exactly as
   pyld escapes them), then get canonical blank node labels by RDFC-1.0's first-degree hashes.

Whenever a step meets something it does not handle (a sentinel mangled by the contexts, a
relative IRI, two blank nodes with the same first-degree hash), it falls back to plain pyld,
so the output is always what pyld produces. Tests check this on 1EdTech's vector and on
generated credentials.

Issuing a batch goes one step further (:meth:`Canonicalizer.stamp`, used by
:mod:`app.openbadges.stamps`): for documents that differ only in a few strings, the quads that
read none of them and the hashes of blank nodes that read none are written once.

pyld is imported when a process meets its first shape (see :mod:`app.openbadges.jsonld`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.openbadges.jsonld import canonize as canonize_with_pyld
from app.openbadges.jsonld import document_loader

_SENTINEL = "urn:x-badgebridge-slot:"
_SENTINEL_RE = re.compile(re.escape(_SENTINEL) + r"(\d+)")
# Values allowed in IRI slots: absolute, with a scheme no bundled context redefines as a term
# (tests check that), and without characters N-Quads forbids in IRIs.
_SAFE_IRI = re.compile(r"(?:https?|urn|did|mailto):[^\s<>\"{}|\\^`\x00-\x20]*\Z")
# Values that select contexts or are @vocab-coerced to terms stay part of the shape.
_SHAPE_KEYS = frozenset(
    {"@context", "type", "@type", "@language", "@direction", "proofPurpose", "cryptosuite"}
)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class _Fallback(Exception):
    """The fast path cannot prove it matches pyld for this document."""


@dataclass(frozen=True, slots=True)
class _Term:
    """One position of a template quad: a constant, or a slot filled as IRI or literal."""

    const: str | None = None  # already serialized (IRIs in <>, blank nodes, literals)
    slot: int = -1
    iri: bool = False
    suffix: str = ""  # ^^<datatype> or @lang after a literal slot


def _shape(
    node: Any, leaves: list[str], memo: dict[int, tuple[Any, list[str]]], parent_key: Any = None
) -> Any:
    """The hashable shape of a JSON value; its slotted strings are appended to ``leaves``.

    ``memo`` holds the objects already walked in this batch by identity: a batch of
    credentials shares one achievement (and issuer) object, walked once."""
    if isinstance(node, dict):
        seen = memo.get(id(node))
        if seen is not None:
            leaves.extend(seen[1])
            return seen[0]
        own: list[str] = []
        items = []
        for key, value in node.items():
            if isinstance(value, str):
                if key in _SHAPE_KEYS:
                    items.append((key, value))
                else:
                    own.append(value)
                    items.append((key, "$"))
            else:
                items.append((key, _shape(value, own, memo, key)))
        shape = ("{", tuple(items))
        memo[id(node)] = (shape, own)
        leaves.extend(own)
        return shape
    if isinstance(node, list):
        return ("[", tuple(_shape(v, leaves, memo, parent_key) for v in node))
    if isinstance(node, str) and parent_key not in _SHAPE_KEYS:
        leaves.append(node)
        return "$"
    if isinstance(node, float):
        # 1.0 and 1 canonicalize differently: keep the type in the shape.
        return ("f", node)
    return node


def _fill(node: Any, counter: list[int], parent_key: str | None = None) -> Any:
    """A copy of ``node`` whose slotted strings are sentinels, numbered in ``_shape`` order."""
    if isinstance(node, dict):
        return {k: _fill(v, counter, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, counter, parent_key) for v in node]
    if isinstance(node, str) and parent_key not in _SHAPE_KEYS:
        counter[0] += 1
        return f"{_SENTINEL}{counter[0] - 1}"
    return node


def _term(term: dict[str, Any]) -> _Term:
    value = term["value"]
    kind = term["type"]
    found = _SENTINEL_RE.search(value) if isinstance(value, str) else None
    if kind == "blank node":
        return _Term(const=value)
    if kind == "IRI":
        if found is None:
            return _Term(const="<" + value + ">")
        if found.group(0) != value:
            raise _Fallback(value)
        return _Term(slot=int(found.group(1)), iri=True)
    datatype = term.get("datatype", _XSD_STRING)
    if datatype == _RDF_LANGSTRING:
        suffix = "@" + term["language"] if term.get("language") else ""
    elif datatype != _XSD_STRING:
        suffix = "^^<" + datatype + ">"
    else:
        suffix = ""
    if found is None:
        return _Term(const=_literal(value) + suffix)
    if found.group(0) != value:
        raise _Fallback(value)  # e.g. an @json literal wraps the value in quotes
    return _Term(slot=int(found.group(1)), suffix=suffix)


def _compile(document: dict[str, Any]) -> tuple[tuple[_Term, ...], ...]:
    """The quad template of ``document``'s shape (pyld does the JSON-LD work, once)."""
    from pyld import jsonld as pyld

    probe = _fill(document, [0])
    dataset = pyld.to_rdf(probe, {"documentLoader": document_loader})
    quads = []
    for graph_name, triples in dataset.items():
        graph = None
        if graph_name != "@default":
            graph = _term(
                {
                    "type": "blank node" if graph_name.startswith("_:") else "IRI",
                    "value": graph_name,
                }
            )
        for triple in triples:
            terms = (_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"]))
            quads.append((*terms, graph) if graph else terms)
    return tuple(quads)


@dataclass(frozen=True, slots=True)
class _Template:
    """A shape's quads, compiled to functions of ``args`` (the filled fields; ``fields``
    lists the (slot, as IRI) each is filled with): ``plain(args)`` writes the quads that
    mention no blank node, final as written; ``with_blank(args, labels)`` the others, blank
    node ``i`` written as ``labels[i]`` (distinct labels, or the canonical ones);
    ``hashed[i](args)`` the quads naming blank node ``i`` as its first-degree hash reads
    them (``_:a`` for it, ``_:z`` for any other), in ``by_blank[i]`` order."""

    fields: tuple[tuple[int, bool], ...]
    plain: Callable[[list[str]], list[str]]
    with_blank: Callable[[list[str], list[str]], list[str]]
    by_blank: tuple[tuple[int, ...], ...]  # for each blank node, the with_blank quads naming it
    hashed: tuple[Callable[[list[str]], list[str]], ...]
    # Whether two with_blank quads can come out equal for some values (the same node written
    # twice); only then must a document's copies be found before hashing.
    may_repeat: bool
    # For stamps (:meth:`Canonicalizer.stamp`): each plain quad's expression (generated code
    # of ``a``) and the fields it reads, and the fields each blank node's quads read.
    plain_sources: tuple[str, ...]
    plain_fields: tuple[frozenset[int], ...]
    blank_fields: tuple[frozenset[int], ...]


# A quad's terms in the making: constant text, a field (index into ``args``) or a blank node.
_Part = tuple[str, str | int]


def _template(quads: tuple[tuple[_Term, ...], ...]) -> _Template:
    fields: dict[tuple[int, bool], int] = {}
    blanks: dict[str, int] = {}
    plain: list[str] = []
    plain_fields: list[frozenset[int]] = []
    with_blank: list[list[_Part]] = []
    terms: list[tuple[tuple[str, str | int], ...]] = []  # per with_blank quad, to compare
    for quad in quads:
        parts: list[_Part] = []
        text = ""  # constant text not yet in ``parts``
        kinds: list[tuple[str, str | int]] = []
        for position, term in enumerate(quad):
            text += " " if position else ""
            if term.const is not None and not term.const.startswith("_:"):
                text += term.const
                kinds.append(("const", term.const))
                continue
            if term.const is not None:
                part: _Part = ("blank", blanks.setdefault(term.const, len(blanks)))
                kinds.append(part)
            else:
                part = ("field", fields.setdefault((term.slot, term.iri), len(fields)))
                kinds.append(("field", term.suffix))
            parts += [("const", text), part] if text else [part]
            text = term.suffix
        parts.append(("const", text + " .\n"))
        if any(kind == "blank" for kind, _value in parts):
            with_blank.append(parts)
            terms.append(tuple(kinds))
        else:
            plain.append(_expression(parts, {}))
            plain_fields.append(_fields_of(parts))
    count = len(blanks)
    by_blank = tuple(
        tuple(i for i, parts in enumerate(with_blank) if ("blank", number) in parts)
        for number in range(count)
    )
    variables = {number: f"b[{number}]" for number in range(count)}
    return _Template(
        tuple(fields),
        _compiled("a", plain),
        _compiled("a, b", [_expression(parts, variables) for parts in with_blank]),
        by_blank,
        tuple(
            _compiled(
                "a",
                [
                    _expression(
                        with_blank[i],
                        {m: repr("_:a" if m == number else "_:z") for m in range(count)},
                    )
                    for i in mentions
                ],
            )
            for number, mentions in enumerate(by_blank)
        ),
        any(
            _may_equal(terms[i], terms[j])
            for i in range(len(terms))
            for j in range(i + 1, len(terms))
        ),
        tuple(plain),
        tuple(plain_fields),
        tuple(
            frozenset().union(*(_fields_of(with_blank[i]) for i in mentions))
            for mentions in by_blank
        ),
    )


def _fields_of(parts: list[_Part]) -> frozenset[int]:
    return frozenset(int(value) for kind, value in parts if kind == "field")


def _expression(parts: list[_Part], blanks: dict[int, str]) -> str:
    """A quad as a Python expression concatenating constants (``repr`` literals), fields
    ``a[i]`` and blank nodes (``blanks[n]``: a variable or a literal label)."""
    code = []
    for kind, value in parts:
        if kind == "const":
            code.append(repr(value))
        elif kind == "field":
            code.append(f"a[{value}]")
        else:
            code.append(blanks[int(value)])
    return " + ".join(code)


def _may_equal(
    one: tuple[tuple[str, str | int], ...], other: tuple[tuple[str, str | int], ...]
) -> bool:
    """Whether two quads (their terms: constants, fields with the suffix after them, blank
    nodes) can be written alike: N-Quads is read term by term, so each pair of terms must
    be able to match (a field may hold any value)."""
    if len(one) != len(other):
        return False
    for (kind, value), (other_kind, other_value) in zip(one, other, strict=True):
        if (kind == "blank") != (other_kind == "blank"):
            return False
        if kind == other_kind and kind != "field" and value != other_value:
            return False
    return True


def _compiled(parameters: str, expressions: list[str]) -> Any:
    # A quad written by concatenation in generated code costs a fifth of a str.format call
    # (a shape has dozens of quads, a cohort thousands of credentials). Only constants
    # (as repr() literals) and indexes into the parameters go into the source.
    source = f"lambda {parameters}: [{', '.join(expressions)}]"
    return eval(compile(source, "<rdfc template>", "eval"), {"__builtins__": {}})


def _iri_of(value: str) -> str:
    if not _SAFE_IRI.match(value):
        raise _Fallback(value)
    return "<" + value + ">"


# Cached: a batch of credentials repeats most of its values (badge, issuer, contexts).
_iri = functools.lru_cache(maxsize=4096)(_iri_of)


@functools.lru_cache(maxsize=4096)
def _literal(value: str) -> str:
    # Imported here, not with the module (pyld's package imports all of pyld); a template was
    # compiled by pyld before any value is rendered, so this only binds a loaded name.
    from pyld.nquads import escape

    return '"' + escape(value) + '"'


def _render(template: _Template, values: list[str]) -> str:
    """RDFC-1.0 for a shape whose blank nodes all have distinct first-degree hashes."""
    args = [_iri(values[slot]) if iri else _literal(values[slot]) for slot, iri in template.fields]
    # A dataset is a set: a node written twice (the issuer as ``issuer`` and as the
    # achievement's ``creator``) fills two template copies with the same quads.
    quads = set(template.plain(args))
    count = len(template.by_blank)
    if not count:
        return "".join(sorted(quads))
    kept = None
    if template.may_repeat:
        unique: dict[str, int] = {}
        for index, quad in enumerate(template.with_blank(args, [f"_:b{i}" for i in range(count)])):
            unique.setdefault(quad, index)
        kept = set(unique.values())
    by_hash = {}
    for number, (mentioned, hashed) in enumerate(
        zip(template.by_blank, template.hashed, strict=True)
    ):
        written = hashed(args)
        if kept is not None:
            written = [quad for i, quad in zip(mentioned, written, strict=True) if i in kept]
        written.sort()
        by_hash[hashlib.sha256("".join(written).encode()).hexdigest()] = number
    if len(by_hash) != count:
        raise _Fallback("blank nodes share a first-degree hash")
    canonical = [""] * count
    for i, digest in enumerate(sorted(by_hash)):
        canonical[by_hash[digest]] = f"_:c14n{i}"
    written = template.with_blank(args, canonical)
    quads.update(written if kept is None else (written[i] for i in kept))
    return "".join(sorted(quads))


class Stamped:
    """A template's quads for documents that differ from a probe only in some strings.

    Built once per probe: the quads that read no slotted field are written and sorted
    once, and so are the first-degree hashes of blank nodes whose quads read none. Per
    document only the quads that read a slot and those naming a blank node are written,
    then merged into the sorted constant ones: the same text as :func:`_render`."""

    def __init__(self, template: _Template, leaves: list[str], slot: re.Pattern[str]) -> None:
        from pyld.nquads import escape  # loaded: the template was compiled by pyld

        self._escape = escape
        self._template = template
        args = [""] * len(template.fields)
        # (field, as IRI, value: a slot index, or the pieces with slot indexes at odd places)
        self._variable: list[tuple[int, bool, int | tuple[str | int, ...]]] = []
        for field, (index, iri) in enumerate(template.fields):
            pieces = slot.split(leaves[index])
            if len(pieces) == 1:
                args[field] = _iri(pieces[0]) if iri else _literal(pieces[0])
            elif len(pieces) == 3 and pieces[0] == pieces[2] == "":
                self._variable.append((field, iri, int(pieces[1])))
            else:
                value = tuple(int(p) if i % 2 else p for i, p in enumerate(pieces) if p != "")
                self._variable.append((field, iri, value))
        self._args = args
        variable = frozenset(field for field, _iri, _value in self._variable)
        sources = list(zip(template.plain_sources, template.plain_fields, strict=True))
        constant = set(_compiled("a", [e for e, fields in sources if not fields & variable])(args))
        self._constant = frozenset(constant)
        self._sorted = sorted(constant)
        # The quads reading a slot, in one generated function (once per stamp and process).
        self._plain = _compiled("a", [e for e, fields in sources if fields & variable])
        self._digests: dict[str, int] = {}
        self._hashed: list[tuple[int, Callable[[list[str]], list[str]]]] = []
        for number, (fields, hashed) in enumerate(
            zip(template.blank_fields, template.hashed, strict=True)
        ):
            if fields & variable:
                self._hashed.append((number, hashed))
            else:
                self._digests[_digest(hashed(args))] = number
        self._count = len(template.by_blank)
        if len(self._digests) != self._count - len(self._hashed):
            raise _Fallback("blank nodes share a first-degree hash")
        self._labels = [f"_:c14n{i}" for i in range(self._count)]

    def render(self, values: Sequence[str]) -> str | None:
        """The canonical N-Quads of the probe with ``values`` in its slots; None when this
        document needs :meth:`Canonicalizer.canonize` (a value that is no safe IRI, blank
        nodes sharing a hash)."""
        args = self._args.copy()
        for field, iri, value in self._variable:
            text = (
                values[value]
                if isinstance(value, int)
                else "".join([p if isinstance(p, str) else values[p] for p in value])
            )
            if iri:
                if not _SAFE_IRI.match(text):
                    return None
                args[field] = "<" + text + ">"
            else:
                args[field] = '"' + self._escape(text) + '"'
        digests = self._digests.copy()
        for number, hashed in self._hashed:
            digests[_digest(hashed(args))] = number
        if len(digests) != self._count:
            return None
        canonical = self._labels.copy()
        for label, digest in zip(self._labels, sorted(digests), strict=True):
            canonical[digests[digest]] = label
        extra = set(self._plain(args))
        extra.update(self._template.with_blank(args, canonical))
        extra -= self._constant
        quads = self._sorted + list(extra)
        quads.sort()  # the constant ones are one sorted run: only the others are placed
        return "".join(quads)


def _digest(quads: list[str]) -> str:
    quads.sort()
    return hashlib.sha256("".join(quads).encode()).hexdigest()


class Canonicalizer:
    """RDFC-1.0 canonical N-Quads, with the JSON-LD work cached per document shape."""

    def __init__(self) -> None:
        self._templates: dict[Any, _Template | None] = {}
        self._lock = threading.Lock()
        self.fallbacks = 0  # how often plain pyld had to step in (benchmarks report it)

    def canonize(self, document: dict[str, Any]) -> str:
        """Canonical N-Quads of ``document``, byte-identical to plain pyld's."""
        return self.canonize_many([document])[0]

    def canonize_many(self, documents: Sequence[dict[str, Any]]) -> list[str]:
        """:meth:`canonize` for each document; objects the documents share (the same dict)
        are walked once. The documents must not change while this runs."""
        # Keyed by id(): valid only while ``documents`` keeps every walked object alive.
        memo: dict[int, tuple[Any, list[str]]] = {}
        return [self._canonize(document, memo) for document in documents]

    def _template_of(self, shape: Any, document: dict[str, Any]) -> _Template | None:
        if shape in self._templates:
            return self._templates[shape]
        try:
            template: _Template | None = _template(_compile(document))
        except _Fallback:
            template = None
        with self._lock:
            self._templates[shape] = template
        return template

    def stamp(self, probe: dict[str, Any], slot: re.Pattern[str], slots: int) -> Stamped | None:
        """Canonical N-Quads for documents that are ``probe`` with its slots filled in.

        A slot is a match of ``slot`` (whose group is the value's index) inside a string
        value of ``probe``; ``slots`` is how many matches ``probe`` holds. None when the
        slots do not all fall in values the template fills (a slot in the shape), or the
        shape needs plain pyld or may repeat quads: then documents go through
        :meth:`canonize`."""
        leaves: list[str] = []
        template = self._template_of(_shape(probe, leaves, {}), probe)
        if template is None or template.may_repeat:
            return None
        if sum(len(slot.findall(leaf)) for leaf in leaves) != slots:
            return None
        try:
            return Stamped(template, leaves, slot)
        except _Fallback:
            return None

    def _canonize(self, document: dict[str, Any], memo: dict[int, tuple[Any, list[str]]]) -> str:
        leaves: list[str] = []
        template = self._template_of(_shape(document, leaves, memo), document)
        if template is not None:
            try:
                return _render(template, leaves)
            except _Fallback:
                pass
        self.fallbacks += 1
        return canonize_with_pyld(document)


canonicalizer = Canonicalizer()
