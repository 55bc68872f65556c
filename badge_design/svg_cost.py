"""What drawing an SVG costs a renderer, and the check that refuses SVG too costly to draw.

The sanitizer calls :func:`check_drawing_cost` on every cleaned SVG to bound the work a
renderer does for ``<use>`` copies, masks, markers (one copy of the marker per vertex),
dashes (one dash per period along the outline) and long paths, before anything is drawn.
Every figure is an *upper bound* computed from the numbers in the file: curves are measured
along their control polygons (never shorter than the curve), arcs as whole ellipses.
Transforms do not matter for dashes: a dash pattern is measured in the same user space as
the outline it runs along.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from badge_design.messages import translatable
from badge_design.upload_errors import UploadError

#: Most drawing an SVG may ask for, in element draws (about 60 µs each in cairosvg), once
#: every <use>, marker and mask is expanded; vertices and masks are converted below.
MAX_DRAW_COST = 50_000
#: Path vertices that cost a renderer about as much as drawing one element.
_VERTICES_PER_DRAW = 8
#: What drawing through one mask costs (its own surface, composited), in element draws.
_MASK_DRAWS = 1_000
#: Image pixels that cost a renderer about one element draw (every copy is decoded again).
_PIXELS_PER_DRAW = 4_096
#: Most dashes an SVG's dash patterns may cut its outlines into (each is a stroked polygon
#: in memory: about 3 million of them took a renderer 566 MB).
MAX_DASHES = 200_000

# url(...) targets; the sanitizer keeps only fragment references into the same document,
# and this check follows those same references (one reading of them, so the two agree).
URL_REFERENCE = re.compile(
    r"url\(\s*(?P<q>['\"]?)(?P<target>.*?)(?P=q)\s*\)", re.IGNORECASE | re.DOTALL
)
#: The only images kept: PNG or JPEG embedded as a data: URI.
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]+)$", re.IGNORECASE)
# A dash pattern declared in a style attribute or a stylesheet rule.
_DASH_DECLARATION = re.compile(r"stroke-dasharray\s*:\s*([^;}]*)", re.IGNORECASE)

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


@dataclass
class _Cost:
    """What drawing one element costs, with everything it draws through references."""

    draws: float = 0.0
    #: Outline length drawn (user units), along which any dash pattern repeats.
    length: float = 0.0

    def add(self, other: _Cost, times: float = 1.0) -> None:
        self.draws += other.draws * times
        self.length += other.length * times


def _viewport(root: Element) -> tuple[float, float]:
    box = re.split(r"[\s,]+", root.get("viewBox", "").strip())
    _, _, width, height = (float(part) for part in box)
    return min(width, height), max(width, height)


def _dash_periods(root: Element, smallest_side: float) -> list[float]:
    """Every dash period the document declares, in attributes, styles and stylesheets.

    ``stroke-dasharray`` is inherited and stylesheet rules apply to many shapes, so the
    check assumes the shortest period may apply to every outline.
    """
    values = []
    for element in root.iter():
        values.append(element.get("stroke-dasharray") or "")
        for text in (
            element.get("style") or "",
            element.text or "" if element.tag == "style" else "",
        ):
            values += _DASH_DECLARATION.findall(text)
    periods = (dash_period(value, smallest_side) for value in values)
    return [period for period in periods if period is not None]


def check_drawing_cost(root: Element) -> None:
    """Refuse SVG that would take a renderer too long or too much memory to draw.

    Counts what a renderer does, through every reference: elements drawn (with ``<use>``
    and mask copies), path vertices, one marker copy per vertex of a marked shape, and one
    dash per period along every outline. Also refuses ``<use>``/marker/mask cycles.
    """
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    smallest_side, largest_side = _viewport(root)
    cost: dict[int, _Cost] = {}
    visiting: set[int] = set()

    def reference(value: str) -> Element | None:
        match = URL_REFERENCE.search(value)
        target = match.group("target").strip()[1:] if match else ""
        return by_id.get(target)

    def weigh(element: Element) -> _Cost:
        key = id(element)
        if key in cost:
            return cost[key]
        if key in visiting:
            raise UploadError(
                translatable(
                    "The SVG refers to itself in a loop (through <use>, a marker or a mask)."
                )
            )
        visiting.add(key)
        total = _Cost(draws=1.0 + _image_pixels(element) / _PIXELS_PER_DRAW)
        vertices, length = shape_geometry(element, largest_side)
        total.add(_Cost(vertices / _VERTICES_PER_DRAW, length))
        for child in element:
            total.add(weigh(child))
        href = element.get("href") or element.get("xlink:href") or ""
        if href.startswith("#") and href[1:] in by_id:
            total.add(weigh(by_id[href[1:]]))
        properties = dict(element.attrib)
        properties.update(_declarations(element.get("style") or ""))
        for name, value in properties.items():
            target = reference(value) if "url(" in value else None
            if target is None:
                continue
            if name.startswith("marker-"):
                # One copy of the marker at every vertex (start and end: one each).
                total.add(weigh(target), vertices if name == "marker-mid" else 1)
            elif name == "mask":
                # A mask is drawn into a surface of its own and composited: far dearer
                # than the elements inside it.
                total.add(weigh(target))
                total.add(_Cost(draws=_MASK_DRAWS))
            else:  # fill, stroke (gradients) and clip-path draw the target once
                total.add(weigh(target))
        visiting.discard(key)
        if total.draws > MAX_DRAW_COST:
            raise UploadError(
                translatable(
                    "The SVG is too complex to draw: its shapes, points, images, markers, masks"
                    " and <use> copies add up to more than a badge image needs. Simplify it"
                    " (fewer points, copies or markers) or upload it as a PNG."
                )
            )
        cost[key] = total
        return total

    drawn = weigh(root)
    periods = _dash_periods(root, smallest_side)
    if periods:
        dashes = drawn.length / min(periods)
        if not dashes <= MAX_DASHES:  # also an outline too long to measure (inf or nan)
            raise UploadError(
                translatable(
                    "The SVG's dashed lines would draw about %(dashes)s dashes (at most"
                    " %(limit)s are drawn). Use longer dashes or shorter lines, or upload it"
                    " as a PNG.",
                    dashes=_about(dashes),
                    limit=f"{MAX_DASHES:,}",
                )
            )


def _image_pixels(element: Element) -> int:
    """Pixels of an ``<image>``'s embedded PNG/JPEG, read from its header (0 otherwise)."""
    if element.tag != "image":
        return 0
    match = DATA_IMAGE.match((element.get("href") or element.get("xlink:href") or "").strip())
    if not match:
        return 0
    from PIL import Image  # only for SVG that embeds a picture

    raw = base64.b64decode(re.sub(r"\s+", "", match.group(2)))
    with Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"]) as image:  # header only
        width, height = image.size
    return width * height


def _about(count: float) -> str:
    return f"{count:,.0f}" if math.isfinite(count) else translatable("countless")


def _declarations(style: str) -> dict[str, str]:
    pairs = (declaration.partition(":") for declaration in style.split(";"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}
