"""Render a :class:`~badge_design.design.Design` to SVG: pure and deterministic.

The same design always gives byte-identical SVG (no clocks, no randomness, no dict-order
or float-noise surprises), so the app can cache artwork per design version and tests can
compare bytes. Text is drawn as outlines from the bundled font (see ``fonts``), so the
picture does not depend on the fonts of the machine that displays or rasterises it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

from badge_design import fonts, shapes
from badge_design.design import Design, design_to_json
from badge_design.icons import ICON_GRID, icon_markup

SIZE = shapes.CANVAS
LINE_HEIGHT = 1.15  # line pitch as a multiple of the font size
# Text and icon keep this far from the interior's edge (px), so nothing touches the band.
SIDE_PADDING = 10

GRADIENT_VECTORS: dict[str, tuple[str, str, str, str]] = {
    "vertical": ("0", "0", "0", "1"),
    "horizontal": ("0", "0", "1", "0"),
    "diagonal": ("0", "0", "1", "1"),
}
#: Metallic two-stop gradients for the tier band.
TIER_COLOURS: dict[str, tuple[str, str]] = {
    "bronze": ("#e3a869", "#8a5a2b"),
    "silver": ("#f4f6f8", "#8f98a1"),
    "gold": ("#ffe27a", "#c48f12"),
}
TIER_BAND_WIDTH = 12


@dataclass(frozen=True)
class _Style:
    """Per-template sizes: the largest icon and font sizes before auto-fit shrinks them."""

    icon: float
    title: float
    subtitle: float
    gap: float
    #: Where the stack of icon and texts sits in the free room: 0.5 centres it; the
    #: shield narrows towards its point, so its stack sits higher.
    bias: float = 0.5
    #: The part of the room (top and bottom, as fractions) whose width the first fit uses.
    text_band: tuple[float, float] = (0.35, 0.65)


_STYLES: dict[str, _Style] = {
    "circle": _Style(icon=124, title=58, subtitle=34, gap=16),
    "hexagon": _Style(icon=124, title=58, subtitle=34, gap=16),
    "shield": _Style(icon=120, title=56, subtitle=32, gap=14, bias=0.25, text_band=(0.3, 0.5)),
    "rounded_square": _Style(icon=132, title=60, subtitle=36, gap=18),
    "star": _Style(icon=84, title=44, subtitle=26, gap=8, bias=0.65),
    "rosette": _Style(icon=96, title=48, subtitle=28, gap=10),
}


@dataclass(frozen=True)
class _FittedText:
    lines: tuple[str, ...]
    size: float

    @property
    def height(self) -> float:
        return len(self.lines) * self.size * LINE_HEIGHT


def _may_start_line(char: str) -> bool:
    """Japanese line-breaking rules (kinsoku) in their simplest form: closing brackets,
    stops and commas, small kana and the prolonged sound and iteration marks never start a
    line."""
    category = unicodedata.category(char)
    return category not in ("Pe", "Pf", "Po", "Lm") and "SMALL" not in unicodedata.name(char, "")


def _may_end_line(char: str) -> bool:
    """Opening brackets and quotes never end a line."""
    return unicodedata.category(char) not in ("Ps", "Pi")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _candidates(text: str, max_lines: int) -> list[tuple[str, ...]]:
    """The ways to set ``text``: on one line, or broken into two at each space, or (in
    Japanese, written without spaces) between two wide characters where kinsoku allows."""
    options: list[tuple[str, ...]] = [(text,)]
    if max_lines < 2:
        return options
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if after == " ":
            options.append((text[:i], text[i + 1 :]))
        elif _wide(before) and _wide(after) and _may_start_line(after) and _may_end_line(before):
            options.append((text[:i], text[i:]))
    return options


def _fit(text: str, weight: int, max_size: float, width: float, max_lines: int) -> _FittedText:
    """Choose the line breaks and the largest size (≤ ``max_size``) at which ``text`` fits
    ``width``. A single line wins unless two lines allow clearly larger type."""
    one_line: _FittedText | None = None
    two_lines: _FittedText | None = None
    best: tuple[float, int] = (0.0, 0)
    for lines in _candidates(text, max_lines):
        widths = [fonts.text_width(line, weight) for line in lines]
        size = min(max_size, width * fonts.UNITS_PER_EM / (max(widths) or 1))
        if len(lines) == 1:
            one_line = _FittedText(lines, round(size, 2))
            continue
        # Two lines are harder to read: cap them at a smaller size. Among the breaks, the
        # one giving the largest type wins, and among equals the most balanced lines.
        candidate = _FittedText(lines, round(min(size, max_size * 0.82), 2))
        rank = (candidate.size, -abs(widths[0] - widths[1]))
        if two_lines is None or rank > best:
            two_lines, best = candidate, rank
    assert one_line is not None
    if two_lines is not None and two_lines.size > one_line.size * 1.15:
        return two_lines
    return one_line


def _refit(fitted: _FittedText, weight: int, template: str, center_y: float) -> _FittedText:
    """Shrink ``fitted`` until each line fits the shape's width where it actually sits."""
    size = fitted.size
    for _ in range(8):
        top = center_y - len(fitted.lines) * size * LINE_HEIGHT / 2
        fits = True
        for i, line in enumerate(fitted.lines):
            line_top = top + i * size * LINE_HEIGHT
            width = shapes.width_between(template, line_top, line_top + size * LINE_HEIGHT)
            needed = fonts.text_width(line, weight) * size / fonts.UNITS_PER_EM
            if needed > width - 2 * SIDE_PADDING:
                size = max(1.0, size * (width - 2 * SIDE_PADDING) / needed * 0.99)
                fits = False
        if fits:
            break
    return _FittedText(fitted.lines, round(size, 2))


@dataclass(frozen=True)
class _Layout:
    icon: tuple[float, float, float] | None  # centre x, centre y, size
    title: tuple[_FittedText, float] | None  # text, centre y of the block
    subtitle: tuple[_FittedText, float] | None


def _layout(design: Design) -> _Layout:
    template = design.template
    style = _STYLES[template]
    top, bottom = shapes.vertical_extent(template)
    # A little air at the top and bottom of the interior; the star's tips are too thin to
    # hold anything, so it keeps more.
    inset = (bottom - top) * (0.16 if template == "star" else 0.06)
    top, bottom = top + inset, bottom - inset
    band_top, band_bottom = style.text_band
    full_width = shapes.width_between(
        template, top + (bottom - top) * band_top, top + (bottom - top) * band_bottom
    )
    width = full_width - 2 * SIDE_PADDING

    title = _fit(design.title, fonts.TITLE_WEIGHT, style.title, width, 2) if design.title else None
    subtitle = (
        _fit(design.subtitle, fonts.SUBTITLE_WEIGHT, style.subtitle, width * 0.9, 1)
        if design.subtitle
        else None
    )
    icon_size = style.icon if design.icon is not None else 0.0
    if title is None and subtitle is None:
        icon_size *= 1.7  # an icon alone is the badge: let it fill the shape

    # Stack icon, title and subtitle, centred in the interior; shrink the icon when the
    # stack is taller than the room (long two-line titles on small shapes).
    heights = [h for h in (icon_size, title and title.height, subtitle and subtitle.height) if h]
    total = sum(heights) + style.gap * (len(heights) - 1)
    room = bottom - top
    if total > room and icon_size:
        icon_size = max(room * 0.2, icon_size - (total - room))
        heights = [icon_size, *heights[1:]]
        total = sum(heights) + style.gap * (len(heights) - 1)
    y = top + (room - total) * style.bias

    icon_box = None
    if icon_size:
        icon_width = shapes.width_between(template, y, y + icon_size) - 2 * SIDE_PADDING
        fitted_icon = min(icon_size, icon_width)
        icon_box = (SIZE / 2, y + icon_size / 2, fitted_icon)
        y += icon_size + style.gap
    title_box = None
    if title is not None:
        center = y + title.height / 2
        title_box = (_refit(title, fonts.TITLE_WEIGHT, template, center), center)
        y += title.height + style.gap
    subtitle_box = None
    if subtitle is not None:
        center = y + subtitle.height / 2
        subtitle_box = (_refit(subtitle, fonts.SUBTITLE_WEIGHT, template, center), center)
    return _Layout(icon_box, title_box, subtitle_box)


def _text_paths(fitted: _FittedText, center_y: float, weight: int) -> str:
    pitch = fitted.size * LINE_HEIGHT
    first_center = center_y - pitch * (len(fitted.lines) - 1) / 2
    parts = []
    for i, line in enumerate(fitted.lines):
        # Centre the capital letters on the line's centre: it looks centred to the eye,
        # unlike centring the full ascender-to-descender box.
        cap_height = fitted.size * fonts.CAP_HEIGHT / fonts.UNITS_PER_EM
        baseline = first_center + i * pitch + cap_height / 2
        parts.append(fonts.text_path(line, fitted.size, SIZE / 2, baseline, weight))
    return "".join(parts)


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _gradient(element_id: str, stops: tuple[str, str], direction: str) -> str:
    x1, y1, x2, y2 = GRADIENT_VECTORS[direction]
    return (
        f'<linearGradient id="{element_id}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}">'
        f'<stop offset="0" stop-color="{stops[0]}"/>'
        f'<stop offset="1" stop-color="{stops[1]}"/>'
        "</linearGradient>"
    )


def render_svg(design: Design) -> str:
    """The badge as a standalone, accessible 512x512 SVG document (a str).

    Pure and deterministic: equal designs give byte-identical output. Element ids carry a
    hash of the design, so two different badges inlined in one HTML page do not clash.
    """
    prefix = "bb" + hashlib.sha256(design_to_json(design).encode()).hexdigest()[:10]
    outline = shapes.outline(design.template)
    defs = []
    if design.fill.kind == "gradient":
        assert design.fill.color2 is not None
        defs.append(
            _gradient(
                f"{prefix}-fill", (design.fill.color, design.fill.color2), design.fill.direction
            )
        )
        fill = f"url(#{prefix}-fill)"
    else:
        fill = design.fill.color
    if design.tier != "none":
        defs.append(_gradient(f"{prefix}-tier", TIER_COLOURS[design.tier], "diagonal"))

    stroke = (
        f' stroke="{design.border.color}" stroke-width="{design.border.width}"'
        ' stroke-linejoin="round"'
        if design.border.width
        else ""
    )
    body = []
    if design.template == "rosette":
        tail_fill = design.fill.color2 or design.fill.color
        for tail in shapes.ROSETTE_TAILS:
            points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in tail)
            body.append(f'<polygon points="{points}" fill="{tail_fill}"{stroke}/>')
    body.append(f'<path d="{outline.path()}" fill="{fill}"{stroke}/>')
    if design.tier != "none":
        body.append(
            f'<path d="{outline.path(shapes.TIER_BAND_SCALE)}" fill="none" '
            f'stroke="url(#{prefix}-tier)" stroke-width="{TIER_BAND_WIDTH}" '
            'stroke-linejoin="round"/>'
        )

    layout = _layout(design)
    if layout.icon is not None and design.icon is not None:
        cx, cy, size = layout.icon
        scale = size / ICON_GRID
        body.append(
            f'<g transform="translate({_fmt(cx - size / 2)} {_fmt(cy - size / 2)}) '
            f'scale({_fmt(scale)})" fill="none" stroke="{design.icon.color}" '
            'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
            f"{icon_markup(design.icon.name, design.icon.color)}</g>"
        )
    for box, weight in (
        (layout.title, fonts.TITLE_WEIGHT),
        (layout.subtitle, fonts.SUBTITLE_WEIGHT),
    ):
        if box is not None:
            fitted, center_y = box
            d = _text_paths(fitted, center_y, weight)
            if d:
                body.append(f'<path d="{d}" fill="{design.text_color}"/>')

    title = escape(design.accessible_name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" '
        f'viewBox="0 0 512 512" role="img" aria-labelledby="{prefix}-title">'
        f'<title id="{prefix}-title">{title}</title>'
        + (f"<defs>{''.join(defs)}</defs>" if defs else "")
        + "".join(body)
        + "</svg>"
    )
