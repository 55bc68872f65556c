"""The bundled icon set: a curated subset of Lucide (ISC license, see assets/icons/LICENSE).

Each icon is a 24x24 stroked drawing. We keep only its geometry (the shapes and their
coordinates) and draw it in the design's icon colour, so an icon file can never bring
styles, scripts or references of its own into a badge.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.sax.saxutils import quoteattr

from defusedxml.ElementTree import fromstring

ICON_DIR = Path(__file__).resolve().parent / "assets" / "icons"
#: Icons are drawn on this grid (Lucide's).
ICON_GRID = 24

_SVG_NS = "{http://www.w3.org/2000/svg}"
# The geometry attributes of each shape Lucide uses; anything else in a file is dropped.
_GEOMETRY: dict[str, tuple[str, ...]] = {
    "path": ("d",),
    "circle": ("cx", "cy", "r"),
    "ellipse": ("cx", "cy", "rx", "ry"),
    "line": ("x1", "y1", "x2", "y2"),
    "polyline": ("points",),
    "polygon": ("points",),
    "rect": ("x", "y", "width", "height", "rx", "ry"),
}


@cache
def icon_names() -> frozenset[str]:
    """Names of the bundled icons (file names without ``.svg``)."""
    return frozenset(path.stem for path in ICON_DIR.glob("*.svg"))


def _shapes(element: Element) -> list[tuple[str, tuple[tuple[str, str], ...], bool]]:
    shapes = []
    for child in element.iter():
        tag = child.tag.removeprefix(_SVG_NS)
        if tag not in _GEOMETRY:
            continue
        attrs = tuple((name, child.get(name, "")) for name in _GEOMETRY[tag] if child.get(name))
        # A few icons fill a dot (fill="currentColor"); everything else is stroke only.
        filled = child.get("fill") == "currentColor"
        shapes.append((tag, attrs, filled))
    return shapes


@cache
def _icon_shapes(name: str) -> tuple[tuple[str, tuple[tuple[str, str], ...], bool], ...]:
    if name not in icon_names():
        raise KeyError(f"unknown icon {name!r}")
    root = fromstring((ICON_DIR / f"{name}.svg").read_bytes())
    return tuple(_shapes(root))


def icon_markup(name: str, color: str) -> str:
    """The icon's shapes as SVG elements on the 24x24 grid, stroked in ``color``.

    The caller wraps them in a ``<g>`` that positions and scales them, and that sets the
    stroke (``stroke``, ``stroke-width``, ``fill="none"``, round caps and joins).
    """
    parts = []
    for tag, attrs, filled in _icon_shapes(name):
        text = "".join(f" {key}={quoteattr(value)}" for key, value in attrs)
        if filled:
            text += f' fill="{color}"'
        parts.append(f"<{tag}{text}/>")
    return "".join(parts)
