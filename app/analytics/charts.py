"""Charts as server-rendered SVG: no JavaScript, readable by screen readers.

Each chart is ``role="img"`` labelled by its own ``<title>`` and ``<desc>`` (the desc states
the numbers in words), and the page puts the same numbers in a table beside it, so nothing
is conveyed by the picture alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from app.i18n import format_number

_ids = itertools.count(1)
WIDTH, HEIGHT = 560, 220
PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 44, 40, 12, 8
BAR = "#1f5fa8"  # 7.0:1 on white, and distinct from the axis grey


def _nice_max(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _describe(points: Sequence[tuple[str, int]], unit: str) -> str:
    if not points:
        return _("No data in this range.")
    total = sum(v for _l, v in points)
    peak_label, peak = max(points, key=lambda p: p[1])
    text = ngettext(
        "%(total)s %(unit)s in total over %(num)s period",
        "%(total)s %(unit)s in total over %(num)s periods",
        len(points),
        total=format_number(total),
        unit=unit,
    )
    if peak:
        text += _("; the most, %(peak)s, in %(label)s", peak=format_number(peak), label=peak_label)
    return text + "."


def bar_chart(title: str, points: Sequence[tuple[str, int]], *, unit: str = "") -> Markup:
    """A vertical bar chart of labelled counts (a time series, or categories)."""
    n = next(_ids)
    top = _nice_max(max((v for _l, v in points), default=0))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / max(1, len(points))
    bar_w = max(1.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="chart{n}-title chart{n}-desc" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart{n}-title">{escape(title)}</title>',
        f'<desc id="chart{n}-desc">{escape(_describe(points, unit))}</desc>',
    ]
    # Horizontal grid lines with their values: 0, half, top.
    # A half line only where it falls on a whole count (counts have no halves).
    for fraction in (0, 0.5, 1) if top % 2 == 0 else (0, 1):
        y = PAD_TOP + inner_h * (1 - fraction)
        value = top * fraction
        label = f"{value:g}"
        dash = ' stroke-dasharray="2 3"' if fraction else ""
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#767676" stroke-width="1"{dash}/>'
        )
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#333">{label}</text>'
        )
    # Label every bar when few, else about eight labels so they do not overlap.
    every = max(1, -(-len(points) // 8))
    for i, (label, value) in enumerate(points):
        height = inner_h * value / top
        x = PAD_LEFT + slot * i + (slot - bar_w) / 2
        y = PAD_TOP + inner_h - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"><title>{escape(label)}: '
            f"{value}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11" fill="#333">'
                f"{escape(_short(label))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    # "2026-11-24" → "11-24" on the axis; the table beside the chart has the full date.
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return label[5:]
    return label.replace("_", " ")
