"""A badge design: the small JSON document an instructor edits, and its validation.

A design says *what* a badge looks like (template, colours, icon, texts, tier); the
templates module turns it into SVG. The JSON is what the designer page sends and what the
app stores per design version, so validation here is the only gate: every error names the
field it is about, in words an instructor can act on.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from badge_design.fonts import COVERAGE, JOINERS, unsupported_characters
from badge_design.icons import icon_names
from badge_design.messages import translatable

TEMPLATES: tuple[str, ...] = ("circle", "hexagon", "shield", "rounded_square", "star", "rosette")
TIERS: tuple[str, ...] = ("none", "bronze", "silver", "gold")
GRADIENT_DIRECTIONS: tuple[str, ...] = ("vertical", "horizontal", "diagonal")

#: Version of the design document format, stored with every design so a later format can
#: migrate old documents instead of guessing.
DESIGN_FORMAT_VERSION = 1

MAX_TITLE_CHARS = 40
MAX_SUBTITLE_CHARS = 40
MAX_ALT_TEXT_CHARS = 250
MAX_BORDER_WIDTH = 24

_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class DesignError(ValueError):
    """A design document was refused; ``errors`` maps each bad field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


@dataclass(frozen=True)
class Fill:
    """The shape's background: one colour, or a two-stop linear gradient."""

    kind: Literal["solid", "gradient"]
    color: str
    color2: str | None = None
    direction: str = "vertical"

    @property
    def colors(self) -> tuple[str, ...]:
        """Every colour the fill shows (one for solid, both stops for a gradient)."""
        return (self.color,) if self.color2 is None else (self.color, self.color2)


@dataclass(frozen=True)
class Border:
    """The outline stroked around the shape; width 0 draws none."""

    color: str
    width: int


@dataclass(frozen=True)
class Icon:
    """One icon from the bundled set, drawn in one colour."""

    name: str
    color: str


@dataclass(frozen=True)
class Design:
    """A validated badge design. Build one with :func:`validate_design`."""

    template: str
    fill: Fill
    border: Border
    icon: Icon | None
    title: str
    subtitle: str
    tier: str
    text_color: str
    alt_text: str | None = None
    version: int = field(default=DESIGN_FORMAT_VERSION)

    @property
    def accessible_name(self) -> str:
        """The text a screen reader announces: the alt text, else title and subtitle."""
        if self.alt_text:
            return self.alt_text
        words = " — ".join(part for part in (self.title, self.subtitle) if part)
        return words or translatable("Badge")


def _colour(value: Any, name: str, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not _HEX_COLOUR.match(value.strip()):
        errors[name] = translatable(
            "expected a colour like #1a2b3c, got %(value)s", value=repr(value)
        )
        return "#000000"
    value = value.strip().lower()
    if len(value) == 4:
        # #abc is shorthand for #aabbcc; store one spelling so equal designs compare equal.
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def _text(value: Any, name: str, limit: int, errors: dict[str, str], drawn: bool = True) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = translatable("expected text, got %(kind)s", kind=type(value).__name__)
        return ""
    # NFC so that "e" + combining accent finds the precomposed glyph in the font.
    text = " ".join(unicodedata.normalize("NFC", value).split())
    # Joiners are invisible but choose letter forms (Persian, Indic): drawn text keeps them.
    allowed = JOINERS if drawn else set()
    if any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in text):
        errors[name] = translatable("must not contain control or invisible formatting characters")
        return ""
    if len(text) > limit:
        errors[name] = translatable(
            "is %(length)d characters long; at most %(limit)d fit on a badge",
            length=len(text),
            limit=limit,
        )
        return text
    # Only drawn text needs glyphs; alt text is read by screen readers, in any script.
    missing = unsupported_characters(text) if drawn else []
    if missing:
        shown = " ".join(repr(ch) for ch in missing[:5])
        errors[name] = translatable(
            "the badge fonts cannot draw %(characters)s; they cover %(coverage)s."
            " Please use other characters",
            characters=shown,
            coverage=COVERAGE,
        )
    return text


def _choice(value: Any, name: str, allowed: tuple[str, ...], errors: dict[str, str]) -> str:
    if value not in allowed:
        errors[name] = translatable(
            "must be one of %(choices)s; got %(value)s",
            choices=", ".join(allowed),
            value=repr(value),
        )
        return allowed[0]
    return str(value)


def _mapping(value: Any, name: str, errors: dict[str, str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        errors[name] = translatable("expected an object, got %(kind)s", kind=type(value).__name__)
        return {}
    return value


def _unknown_keys(
    value: Mapping[str, Any], allowed: set[str], prefix: str, errors: dict[str, str]
) -> None:
    # Refusing unknown keys catches typos ("colour" for "color") that would otherwise be
    # silently ignored and leave the instructor wondering why nothing changed.
    for key in sorted(set(value) - allowed, key=str):
        errors[f"{prefix}{key}"] = translatable("is not a design field")


def validate_design(data: Mapping[str, Any] | str | bytes) -> Design:
    """Validate a design document (a mapping or its JSON text) and return a :class:`Design`.

    Fields left out take their value from :data:`DEFAULT_DESIGN`, so a partial document
    from the designer page is fine. Raises :class:`DesignError` naming every bad field.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise DesignError(
                {"design": translatable("is not valid JSON (%(reason)s)", reason=exc)}
            ) from None
    errors: dict[str, str] = {}
    doc = _mapping(data, "design", errors)
    if errors:
        raise DesignError(errors)
    _unknown_keys(doc, set(_DEFAULT_DOCUMENT), "", errors)
    merged: dict[str, Any] = {**_DEFAULT_DOCUMENT, **doc}

    version = merged["version"]
    if version != DESIGN_FORMAT_VERSION:
        errors["version"] = translatable(
            "unsupported design format %(version)s", version=repr(version)
        )

    template = _choice(merged["template"], "template", TEMPLATES, errors)

    fill_doc = _mapping(merged["fill"], "fill", errors)
    _unknown_keys(fill_doc, {"type", "color", "color2", "direction"}, "fill.", errors)
    kind = _choice(fill_doc.get("type", "solid"), "fill.type", ("solid", "gradient"), errors)
    color = _colour(fill_doc.get("color"), "fill.color", errors)
    if kind == "gradient":
        fill = Fill(
            kind="gradient",
            color=color,
            color2=_colour(fill_doc.get("color2"), "fill.color2", errors),
            direction=_choice(
                fill_doc.get("direction", "vertical"),
                "fill.direction",
                GRADIENT_DIRECTIONS,
                errors,
            ),
        )
    else:
        fill = Fill(kind="solid", color=color)

    border_doc = _mapping(merged["border"], "border", errors)
    _unknown_keys(border_doc, {"color", "width"}, "border.", errors)
    width = border_doc.get("width", 0)
    if isinstance(width, bool) or not isinstance(width, int | float) or width != int(width):
        errors["border.width"] = translatable(
            "expected a whole number of pixels, got %(value)s", value=repr(width)
        )
        width = 0
    elif not 0 <= width <= MAX_BORDER_WIDTH:
        errors["border.width"] = translatable(
            "must be between 0 and %(limit)d, got %(value)s", limit=MAX_BORDER_WIDTH, value=width
        )
    border = Border(
        color=_colour(border_doc.get("color"), "border.color", errors), width=int(width)
    )

    icon: Icon | None = None
    if merged["icon"] is not None:
        icon_doc = _mapping(merged["icon"], "icon", errors)
        _unknown_keys(icon_doc, {"name", "color"}, "icon.", errors)
        name = icon_doc.get("name")
        if name not in icon_names():
            errors["icon.name"] = translatable(
                "%(name)s is not one of the bundled icons", name=repr(name)
            )
        icon = Icon(name=str(name), color=_colour(icon_doc.get("color"), "icon.color", errors))

    title = _text(merged["title"], "title", MAX_TITLE_CHARS, errors)
    subtitle = _text(merged["subtitle"], "subtitle", MAX_SUBTITLE_CHARS, errors)
    alt_text = (
        _text(merged["alt_text"], "alt_text", MAX_ALT_TEXT_CHARS, errors, drawn=False) or None
    )
    tier = _choice(merged["tier"], "tier", TIERS, errors)
    text_color = _colour(merged["text_color"], "text_color", errors)

    if errors:
        raise DesignError(errors)
    return Design(
        template=template,
        fill=fill,
        border=border,
        icon=icon,
        title=title,
        subtitle=subtitle,
        tier=tier,
        text_color=text_color,
        alt_text=alt_text,
        version=DESIGN_FORMAT_VERSION,
    )


def design_to_dict(design: Design) -> dict[str, Any]:
    """The JSON-ready document for ``design``; :func:`validate_design` reads it back."""
    fill: dict[str, Any] = {"type": design.fill.kind, "color": design.fill.color}
    if design.fill.kind == "gradient":
        fill["color2"] = design.fill.color2
        fill["direction"] = design.fill.direction
    return {
        "version": design.version,
        "template": design.template,
        "fill": fill,
        "border": {"color": design.border.color, "width": design.border.width},
        "icon": None
        if design.icon is None
        else {"name": design.icon.name, "color": design.icon.color},
        "title": design.title,
        "subtitle": design.subtitle,
        "tier": design.tier,
        "text_color": design.text_color,
        "alt_text": design.alt_text,
    }


def design_to_json(design: Design) -> str:
    """Canonical JSON for ``design``: sorted keys, no spaces, so equal designs give equal text
    (the app can hash it to key a design version's cached artwork)."""
    return json.dumps(
        design_to_dict(design), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


#: The design a new badge starts from. Built directly rather than through validation so
#: importing this module does not load the fonts; a test checks it validates to itself.
DEFAULT_DESIGN: Design = Design(
    template="circle",
    fill=Fill(kind="gradient", color="#1e3a8a", color2="#2563eb", direction="vertical"),
    border=Border(color="#0f172a", width=12),
    icon=Icon(name="graduation-cap", color="#ffffff"),
    title="Badge title",
    subtitle="",
    tier="none",
    text_color="#ffffff",
    alt_text=None,
)

_DEFAULT_DOCUMENT: dict[str, Any] = design_to_dict(DEFAULT_DESIGN)
