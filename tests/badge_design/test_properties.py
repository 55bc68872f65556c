"""Property tests: any valid design renders deterministically to SVG that our own sanitizer
accepts unchanged, and designs round-trip through JSON; sanitizing is idempotent."""

from __future__ import annotations

from typing import Any

from defusedxml.ElementTree import fromstring
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from badge_design.design import (
    GRADIENT_DIRECTIONS,
    TEMPLATES,
    TIERS,
    design_to_dict,
    design_to_json,
    validate_design,
)
from badge_design.icons import icon_names
from badge_design.svg_sanitize import sanitize_svg
from badge_design.templates import render_svg
from badge_design.upload_errors import UploadError
from badge_design.uploads import ProcessedImage, process_upload

colours = st.from_regex(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", fullmatch=True)
# Letters the bundled font draws (Latin with accents, Greek, Cyrillic), digits, punctuation
# that XML cares about, and spaces.
drawable = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    + list("éèüößçñÅØŁžğ\u2013\u2014·&<>\"'/()!?.,:;#%+ ")
    + list("αβγΩΣжЯщЁ")
)
texts = st.text(alphabet=drawable, max_size=40)

fills = st.one_of(
    st.fixed_dictionaries({"type": st.just("solid"), "color": colours}),
    st.fixed_dictionaries(
        {
            "type": st.just("gradient"),
            "color": colours,
            "color2": colours,
            "direction": st.sampled_from(GRADIENT_DIRECTIONS),
        }
    ),
)
documents = st.fixed_dictionaries(
    {
        "template": st.sampled_from(TEMPLATES),
        "fill": fills,
        "border": st.fixed_dictionaries({"color": colours, "width": st.integers(0, 24)}),
        "icon": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(sorted(icon_names())),
                    "color": colours,
                }
            ),
        ),
        "title": texts,
        "subtitle": texts,
        "tier": st.sampled_from(TIERS),
        "text_color": colours,
        "alt_text": st.one_of(st.none(), st.text(max_size=250).filter(lambda t: t.isprintable())),
    }
)

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(documents)
def test_valid_designs_round_trip_through_json(document: dict[str, Any]) -> None:
    design = validate_design(document)
    assert validate_design(design_to_json(design)) == design
    assert validate_design(design_to_dict(design)) == design
    assert design_to_json(validate_design(design_to_json(design))) == design_to_json(design)


@SLOW
@given(documents)
def test_render_is_deterministic_well_formed_and_sanitizer_clean(document: dict[str, Any]) -> None:
    design = validate_design(document)
    svg = render_svg(design)
    assert render_svg(validate_design(document)) == svg
    root = fromstring(svg)
    assert root.get("role") == "img"
    clean, notes = sanitize_svg(svg)
    assert notes == []
    assert clean == svg


# A small grammar of SVG-ish markup mixing allowed and hostile pieces.
tags = st.sampled_from(
    [
        "g",
        "rect",
        "circle",
        "path",
        "use",
        "image",
        "script",
        "foreignObject",
        "a",
        "style",
        "text",
        "animate",
        "defs",
    ]
)
attr_names = st.sampled_from(
    [
        "id",
        "fill",
        "style",
        "href",
        "onload",
        "transform",
        "d",
        "class",
        "mask",
        "xlink:href",
        "x",
        "begin",
    ]
)
attr_values = st.sampled_from(
    [
        "#a",
        "#b",
        "red",
        "url(#a)",
        "url(http://127.0.0.1:9/x)",
        "javascript:alert(1)",
        "fill:url(#a);stroke:blue",
        "fill:url( 'file:///etc/passwd' )",
        "M0 0L1 1",
        "data:image/png;base64,AAAA",
        "@import 'x'",
        "expression(alert(1))",
        "a",
        "b",
    ]
)


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(tags)
    attrs = draw(st.dictionaries(attr_names, attr_values, max_size=4))
    text = "".join(f' {name}="{value}"' for name, value in attrs.items())
    children = draw(st.lists(markup(depth + 1), max_size=3)) if depth < 3 else []
    return f"<{tag}{text}>{''.join(children)}</{tag}>"


@settings(max_examples=150, deadline=None)
@given(st.lists(markup(), max_size=4))
# A <use> dropped after its xlink:href was read once left xmlns:xlink behind.
@example(['<use onload="#a" xlink:href="#a" href="red"></use>'])
def test_sanitizer_output_is_safe_and_stable(parts: list[str]) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' viewBox="0 0 10 10">' + "".join(parts) + "</svg>"
    )
    try:
        clean, _ = sanitize_svg(svg)
    except UploadError:
        return  # refused outright (a <use> loop): nothing to check
    lowered = (
        clean.replace('xmlns="http://www.w3.org/2000/svg"', "")
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")
        .lower()
    )
    for bad in (
        "<script",
        "foreignobject",
        "onload",
        "javascript",
        "http:",
        "file:",
        "@import",
        "expression",
        "<a ",
        "<animate",
        "begin=",
    ):
        assert bad not in lowered
    again, notes = sanitize_svg(clean)
    assert again == clean
    assert notes == []


@settings(max_examples=60, deadline=None)
@given(st.lists(markup(), max_size=3))
def test_any_upload_is_processed_or_refused_cleanly(parts: list[str]) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' viewBox="0 0 10 10">' + "".join(parts) + "</svg>"
    )
    try:
        result = process_upload("fuzz.svg", svg.encode())
    except UploadError:
        return
    assert isinstance(result, ProcessedImage) and result.png.startswith(b"\x89PNG")
