"""What drawing an SVG shape costs: its vertices and (an upper bound of) its outline length.

The sanitizer uses these to bound the work a renderer does for markers (one copy of the
marker per vertex), dashes (one dash per period along the outline) and long paths, before
anything is drawn. Every figure is an *upper bound* computed from the numbers in the file:
curves are measured along their control polygons (never shorter than the curve), arcs as
whole ellipses. Transforms do not matter for dashes: a dash pattern is measured in the same
user space as the outline it runs along.
"""

from __future__ import annotations

import itertools
import math
import re
from xml.etree.ElementTree import Element

#: Shapes that carry vertices (and so markers, in SVG and in cairosvg).
MARKED_SHAPES = frozenset({"path", "line", "polyline", "polygon"})
SHAPES = MARKED_SHAPES | {"rect", "circle", "ellipse"}

_COMMAND = re.compile(r"[MmZzLlHhVvCcSsQqTtAa]")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_FLAG = re.compile(r"[01]")
_SEPARATORS = re.compile(r"[\s,]*")
_ARGUMENTS = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7}
# CSS absolute units in px; font-relative units are taken at cairosvg's default 12 px.
_UNITS = {
    "": 1.0,
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
    "em": 12.0,
    "ex": 6.0,
    "ch": 6.0,
}
_LENGTH = re.compile(
    r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-z]*|%)\s*", re.IGNORECASE
)


def length_value(value: str | None, percent_of: float) -> float:
    """A length attribute in user units (0 when absent or unreadable, as cairosvg does)."""
    match = _LENGTH.fullmatch(value or "")
    if not match:
        return 0.0
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit == "%":
        return number * percent_of / 100
    return number * _UNITS.get(unit, 1.0)


def path_geometry(d: str) -> tuple[int, float]:
    """(vertices, outline length upper bound) of path data ``d``.

    Reads the data the way a renderer does and stops at the first error (renderers stop
    drawing there too).
    """
    vertices, length = 0, 0.0
    x = y = start_x = start_y = 0.0
    control: tuple[float, float] | None = None  # last curve control point, for S and T
    command: str | None = None
    pos, end = 0, len(d)
    while True:
        pos = _SEPARATORS.match(d, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            break
        letter = _COMMAND.match(d, pos)
        if letter:
            command, pos = letter.group(), letter.end()
            if command in "Zz":
                length += math.hypot(start_x - x, start_y - y)
                x, y, control = start_x, start_y, None
                vertices += 1
                continue
        elif command is None or command in "Zz":
            break
        kind, relative = command.lower(), command.islower()
        args: list[float] = []
        for index in range(_ARGUMENTS[kind]):
            pos = _SEPARATORS.match(d, pos).end()  # type: ignore[union-attr]
            token = (_FLAG if kind == "a" and index in (3, 4) else _NUMBER).match(d, pos)
            if token is None:
                return vertices, length
            args.append(float(token.group()))
            pos = token.end()
        dx, dy = (x, y) if relative else (0.0, 0.0)
        if kind == "h":
            nx, ny = args[0] + (x if relative else 0.0), y
        elif kind == "v":
            nx, ny = x, args[0] + (y if relative else 0.0)
        else:
            nx, ny = args[-2] + dx, args[-1] + dy
        points = [(x, y)]
        if kind == "c":
            points += [(args[0] + dx, args[1] + dy), (args[2] + dx, args[3] + dy)]
        elif kind in "sq":
            reflected = (2 * x - control[0], 2 * y - control[1]) if control else (x, y)
            points += [reflected] if kind == "s" else []
            points += [(args[0] + dx, args[1] + dy)]
        elif kind == "t":
            points += [(2 * x - control[0], 2 * y - control[1]) if control else (x, y)]
        points.append((nx, ny))
        if kind == "a":
            radius = max(abs(args[0]), abs(args[1]), math.hypot(nx - x, ny - y) / 2)
            length += 2 * math.pi * radius
        elif kind != "m":
            length += sum(
                math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(points)
            )
        control = points[-2] if kind in "csqt" else None
        if kind == "m":
            start_x, start_y = nx, ny
            command = "l" if relative else "L"  # later pairs of a moveto are linetos
        x, y = nx, ny
        vertices += 1
    return vertices, length


def _points(value: str | None) -> list[tuple[float, float]]:
    numbers = [float(n) for n in _NUMBER.findall(value or "")]
    return list(zip(numbers[0::2], numbers[1::2], strict=False))


def shape_geometry(element: Element, viewport: float) -> tuple[int, float]:
    """(vertices, outline length upper bound) of a shape element; (0, 0) for others.

    ``viewport`` is the size percentages refer to (the larger side of the root viewBox).
    """
    tag = element.tag

    def size(name: str) -> float:
        return abs(length_value(element.get(name), viewport))

    if tag == "path":
        return path_geometry(element.get("d") or "")
    if tag == "line":
        return 2, math.hypot(size("x2") - size("x1"), size("y2") - size("y1"))
    if tag in ("polyline", "polygon"):
        points = _points(element.get("points"))
        if tag == "polygon" and points:
            points.append(points[0])
        return len(points), sum(
            math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(points)
        )
    if tag == "rect":
        return 4, 2 * (size("width") + size("height"))
    if tag == "circle":
        return 4, 2 * math.pi * size("r")
    if tag == "ellipse":
        return 4, 2 * math.pi * max(size("rx"), size("ry"))
    return 0, 0.0


def dash_period(value: str, viewport: float) -> float | None:
    """The length of one repeat of a ``stroke-dasharray`` (None: no dashing drawn).

    Percentages are taken of the smaller viewBox side (the shortest dash they could mean).
    """
    if value.strip().lower() in ("", "none", "inherit"):
        return None
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    total = sum(max(0.0, length_value(p, viewport)) for p in parts)
    return total if total > 0 else None
