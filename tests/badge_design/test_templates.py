"""SVG templates: structure, accessibility, determinism and text that fits its shape."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from badge_design import shapes, templates
from badge_design.design import TEMPLATES, TIERS, validate_design
from badge_design.templates import render_svg

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]
LONG_TITLE = "Introduction to Molecular Biology"


def _design(**fields: object):
    return validate_design({"title": "Python Basics", "subtitle": "Level 2 · 2025", **fields})


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("tier", TIERS)
def test_every_template_is_an_accessible_512_svg(template: str, tier: str) -> None:
    svg = render_svg(_design(template=template, tier=tier))
    root = fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 512 512"
    assert (root.get("width"), root.get("height")) == ("512", "512")
    assert root.get("role") == "img"
    title = root[0]
    assert title.tag == f"{SVG}title"
    assert title.text == "Python Basics — Level 2 · 2025"
    assert root.get("aria-labelledby") == title.get("id")
    # Text is outlines: no <text>, so no dependence on installed fonts.
    assert root.find(f".//{SVG}text") is None
    assert "font-family" not in svg
    assert ("-tier" in svg) == (tier != "none")


def test_alt_text_is_escaped_into_the_title() -> None:
    svg = render_svg(_design(alt_text="A <b>bold</b> & brave badge"))
    assert "<title id=" in svg
    assert "A &lt;b&gt;bold&lt;/b&gt; &amp; brave badge</title>" in svg
    assert fromstring(svg)[0].text == "A <b>bold</b> & brave badge"


def test_rendering_is_deterministic_across_processes() -> None:
    design_json = '{"template":"rosette","tier":"gold","title":"Grüße aus Köln","subtitle":"2025"}'
    local = render_svg(validate_design(design_json))
    assert render_svg(validate_design(design_json)) == local
    # A fresh interpreter with another hash seed must produce the very same bytes.
    code = (
        "import sys; from badge_design.design import validate_design; "
        "from badge_design.templates import render_svg; "
        f"sys.stdout.write(render_svg(validate_design({design_json!r})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    ).stdout
    assert out == local


def test_different_designs_get_different_element_ids() -> None:
    one = render_svg(_design(fill={"type": "gradient", "color": "#000", "color2": "#fff"}))
    two = render_svg(_design(fill={"type": "gradient", "color": "#111", "color2": "#fff"}))
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_two = set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and ids_two and not ids_one & ids_two


def test_solid_fill_and_no_border_need_no_defs() -> None:
    svg = render_svg(
        _design(
            fill={"type": "solid", "color": "#336699"},
            border={"color": "#000", "width": 0},
            icon=None,
        )
    )
    assert "<defs>" not in svg and 'stroke="#000000"' not in svg
    assert 'fill="#336699"' in svg


def _inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _points(d: str) -> list[tuple[float, float]]:
    """Every end and control point of absolute path data (M, L, H, V, Q, C, Z)."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, args in re.findall(r"([MLHVQCZ])([^MLHVQCZ]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+", args)]
        if command == "H":
            x = numbers[-1]
        elif command == "V":
            y = numbers[-1]
        elif command != "Z":
            pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
            points.extend(pairs[:-1])
            x, y = pairs[-1]
        points.append((x, y))
    return points


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(
    ("title", "subtitle"),
    [
        ("Python Basics", "Level 2"),
        (LONG_TITLE, "Spring 2025"),
        ("Supercalifragilisticexpialidocious", "Отлично — уровень 3"),
        ("W" * 20 + " " + "W" * 19, "W" * 40),
    ],
)
def test_text_stays_inside_the_shape(template: str, title: str, subtitle: str) -> None:
    svg = render_svg(_design(template=template, title=title, subtitle=subtitle, tier="gold"))
    text_color = validate_design({}).text_color
    paths = re.findall(rf'<path d="([^"]+)" fill="{text_color}"/>', svg)
    assert len(paths) == 2  # title and subtitle
    # Inside the tier band: the band is drawn at TIER_BAND_SCALE, half its width inwards.
    band = shapes.outline(template).polygon(shapes.TIER_BAND_SCALE - 0.03)
    for d in paths:
        assert len(_points(d)) > 10
        outside = [p for p in _points(d) if not _inside(p, band)]
        assert not outside, f"{template}: text reaches {outside[:3]}"


def test_long_titles_wrap_to_two_balanced_lines() -> None:
    layout = templates._layout(_design(title=LONG_TITLE, template="circle"))
    assert layout.title is not None
    assert layout.title[0].lines == ("Introduction to", "Molecular Biology")
    short = templates._layout(_design(title="Chemistry"))
    assert short.title is not None and short.title[0].lines == ("Chemistry",)


def test_longer_text_gets_smaller_type() -> None:
    def size(title: str) -> float:
        layout = templates._layout(_design(title=title, template="hexagon"))
        assert layout.title is not None
        return layout.title[0].size

    assert size("Art") >= size("Python Basics") > size("Supercalifragilisticexpialidocious")


def test_icon_and_texts_are_optional() -> None:
    bare = render_svg(validate_design({"title": "", "subtitle": "", "icon": None}))
    assert bare.count("<path") == 1  # just the shape
    icon_only = render_svg(validate_design({"title": "", "subtitle": ""}))
    assert 'stroke-linecap="round"' in icon_only


def test_first_renders_in_parallel_threads_agree() -> None:
    # In a fresh interpreter the fonts and glyphs load during these very renders, so the
    # threads race through the loading code.
    code = """
import sys
from concurrent.futures import ThreadPoolExecutor
from badge_design.design import validate_design
from badge_design.templates import render_svg
designs = [validate_design({"title": f"Ärger {i} Δ ж", "template": t})
           for i, t in enumerate(["circle", "star", "rosette", "shield"] * 4)]
with ThreadPoolExecutor(8) as pool:
    parallel = list(pool.map(render_svg, designs))
assert parallel == [render_svg(d) for d in designs]
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert out.stdout.strip() == "ok", out.stderr
