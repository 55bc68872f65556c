"""Decoding JSON from clients without letting its shape hurt us.

Python's parser recurses once per nesting level (2,000 levels raise RecursionError, which no
``except ValueError`` catches), and so do the criteria engine and JSON-LD signing downstream;
``NaN`` and ``Infinity`` are Python extensions no column or signature takes. Every JSON body or
form field from outside goes through :func:`load_json`.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: No document the tool accepts needs deeper nesting than this.
MAX_JSON_DEPTH = 32

_STRING_LITERAL = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class JsonInputError(ValueError):
    """The text is not acceptable JSON; ``code`` is ``too_deep`` or ``bad_json``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in the JSON text ``raw`` (strings skipped); counting
    stops once past :data:`MAX_JSON_DEPTH`."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING_LITERAL.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                break
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(raw: bytes | str) -> Any:
    """The JSON document ``raw``, or JsonInputError (a ValueError) for bad, too deep or
    non-standard JSON."""
    data = raw.encode() if isinstance(raw, str) else raw
    if json_depth(data) > MAX_JSON_DEPTH:
        raise JsonInputError("too_deep", f"JSON nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise JsonInputError("bad_json", "not valid JSON") from None
