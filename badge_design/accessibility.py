"""Colour contrast checks (WCAG 2.x) for badge designs.

The designer warns, it does not refuse: an instructor may have reasons (a school's colours),
but should know when text will be hard to read.
"""

from __future__ import annotations

from badge_design.design import Design
from badge_design.messages import Message, translatable

#: WCAG AA minimum for normal text, and for graphical objects such as the icon (1.4.11).
TEXT_MINIMUM = 4.5
GRAPHIC_MINIMUM = 3.0


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` (or ``#rgb``) colour, from 0 to 1."""
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(ch * 2 for ch in hex_digits)
    if len(hex_digits) != 6:
        raise ValueError(f"expected a colour like #1a2b3c, got {colour!r}")
    r, g, b = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(fg: str, bg: str) -> float:
    """The WCAG contrast ratio between two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_design_contrast(design: Design) -> list[Message]:
    """Readable warnings for every colour pair of ``design`` below WCAG AA.

    Text (title, subtitle) is checked against each fill colour (both stops of a gradient,
    since text may sit over either end) at 4.5:1; the icon at 3:1.
    """
    warnings: list[Message] = []
    has_text = bool(design.title or design.subtitle)
    for background in design.fill.colors:
        if has_text:
            ratio = contrast_ratio(design.text_color, background)
            if ratio < TEXT_MINIMUM:
                warnings.append(
                    translatable(
                        "Text colour %(colour)s on background %(background)s has a contrast"
                        " of %(ratio).1f:1; WCAG AA asks for at least %(minimum)s:1.",
                        colour=design.text_color,
                        background=background,
                        ratio=ratio,
                        minimum=TEXT_MINIMUM,
                    )
                )
        if design.icon is not None:
            ratio = contrast_ratio(design.icon.color, background)
            if ratio < GRAPHIC_MINIMUM:
                warnings.append(
                    translatable(
                        "Icon colour %(colour)s on background %(background)s has a contrast"
                        " of %(ratio).1f:1; WCAG AA asks for at least %(minimum)s:1 for"
                        " graphics.",
                        colour=design.icon.color,
                        background=background,
                        ratio=ratio,
                        minimum=GRAPHIC_MINIMUM,
                    )
                )
    return warnings
