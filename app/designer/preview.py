"""The live preview: a design document in, the SVG and its accessibility warnings out.

Pure (no database, no request): the page calls it on every keystroke (debounced), and
``render_svg`` draws a badge in a few milliseconds, so the preview is the real artwork, not
an approximation in JavaScript that could drift from what is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from app.designer.operations import check_design
from app.i18n import translated
from badge_design.accessibility import check_design_contrast
from badge_design.icons import icon_markup, icon_names
from badge_design.templates import render_svg


@dataclass(frozen=True)
class Preview:
    """What the preview shows: the SVG, contrast warnings, and the alt text it announces."""

    svg: str
    warnings: list[str]
    accessible_name: str


def preview(document: Any) -> Preview:
    """Validate and draw ``document``; raises DesignerError naming each bad field."""
    design = check_design(document)
    return Preview(
        svg=render_svg(design),
        warnings=[translated(warning) for warning in check_design_contrast(design)],
        accessible_name=translated(design.accessible_name),
    )


@dataclass(frozen=True)
class IconChoice:
    """One entry of the icon picker: its name, a readable label and its preview drawing."""

    name: str
    label: str
    markup: str


@cache
def icon_choices() -> tuple[IconChoice, ...]:
    """Every bundled icon, sorted by label, drawn in ``currentColor`` for the picker."""
    return tuple(
        IconChoice(
            name=name,
            label=name.replace("-", " ").capitalize(),
            markup=icon_markup(name, "currentColor"),
        )
        for name in sorted(icon_names())
    )
