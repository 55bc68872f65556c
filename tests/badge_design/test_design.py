"""Design documents: validation messages, defaults and canonical JSON."""

from __future__ import annotations

import json

import pytest

from badge_design.design import (
    DEFAULT_DESIGN,
    TEMPLATES,
    DesignError,
    design_to_dict,
    design_to_json,
    validate_design,
)
from badge_design.icons import icon_names


def test_empty_document_is_the_default_design() -> None:
    assert validate_design({}) == DEFAULT_DESIGN


def test_full_document_is_read_and_normalised() -> None:
    design = validate_design(
        {
            "template": "hexagon",
            "fill": {
                "type": "gradient",
                "color": "#ABC",
                "color2": "#102030",
                "direction": "diagonal",
            },
            "border": {"color": "#000", "width": 8},
            "icon": {"name": "trophy", "color": "#fff"},
            "title": "  Data   Science ",
            "subtitle": "Level 2",
            "tier": "gold",
            "text_color": "#FFFFFF",
            "alt_text": "Data Science, level 2",
        }
    )
    assert design.template == "hexagon"
    assert design.fill.colors == ("#aabbcc", "#102030")
    assert design.title == "Data Science"  # whitespace collapsed
    assert design.text_color == "#ffffff"
    assert design.accessible_name == "Data Science, level 2"


def test_accessible_name_defaults_to_the_texts() -> None:
    assert validate_design({"title": "Chemistry", "subtitle": "2025"}).accessible_name == (
        "Chemistry — 2025"
    )
    assert validate_design({"title": "", "subtitle": ""}).accessible_name == "Badge"


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"template": "triangle"}, "template", "must be one of circle, hexagon"),
        ({"fill": {"type": "solid", "color": "blue"}}, "fill.color", "colour like #1a2b3c"),
        ({"fill": {"type": "gradient", "color": "#fff"}}, "fill.color2", "colour like"),
        ({"fill": {"type": "plaid", "color": "#fff"}}, "fill.type", "must be one of solid"),
        ({"fill": "red"}, "fill", "expected an object"),
        ({"border": {"color": "#000", "width": 99}}, "border.width", "between 0 and 24"),
        ({"border": {"color": "#000", "width": 2.5}}, "border.width", "whole number"),
        ({"border": {"color": "#000", "width": True}}, "border.width", "whole number"),
        ({"icon": {"name": "skull", "color": "#fff"}}, "icon.name", "not one of the bundled"),
        ({"title": "x" * 41}, "title", "at most 40"),
        ({"title": 42}, "title", "expected text"),
        ({"subtitle": "tab\u200bhidden"}, "subtitle", "control or invisible"),
        ({"title": "똠똠"}, "title", "cannot draw '똠'; they cover Latin"),
        ({"tier": "platinum"}, "tier", "none, bronze, silver, gold"),
        ({"text_color": None}, "text_color", "colour like"),
        ({"colour": "#fff"}, "colour", "is not a design field"),
        (
            {"fill": {"type": "solid", "color": "#fff", "colour": "#000"}},
            "fill.colour",
            "is not a design field",
        ),
        ({"version": 2}, "version", "unsupported design format"),
    ],
)
def test_errors_name_the_field(document: dict, field: str, words: str) -> None:
    with pytest.raises(DesignError) as caught:
        validate_design(document)
    assert field in caught.value.errors
    assert words in caught.value.errors[field]
    assert field in str(caught.value)


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(DesignError) as caught:
        validate_design({"template": "x", "tier": "y", "text_color": "z"})
    assert set(caught.value.errors) == {"template", "tier", "text_color"}


def test_invalid_json_text_is_a_design_error() -> None:
    with pytest.raises(DesignError, match="not valid JSON"):
        validate_design("{nope")
    with pytest.raises(DesignError, match="expected an object"):
        validate_design("[1, 2]")


def test_json_round_trip_is_canonical() -> None:
    design = validate_design({"template": "star", "icon": None, "subtitle": "Ünïcode — ok"})
    text = design_to_json(design)
    assert validate_design(text) == design
    assert validate_design(json.loads(text)) == design
    assert design_to_json(validate_design(text)) == text
    assert '": ' not in text and ', "' not in text  # compact separators
    assert json.loads(text) == design_to_dict(design)


def test_every_template_and_icon_is_accepted() -> None:
    for template in TEMPLATES:
        validate_design({"template": template})
    assert len(icon_names()) >= 40
    for name in icon_names():
        validate_design({"icon": {"name": name, "color": "#fff"}})
