"""SVG files that are small on disk and expensive to draw, generated (the bench uses them too).

Each one is what a review found, or what an attacker would try next, against a renderer:
markers repeated at every vertex of a long path (and markers inside markers), dash patterns
far shorter than the outlines they cut, patterns inside patterns, masks inside masks, a mask
surface of a billion pixels, stroke widths of ten million, filters, a large embedded image
drawn a hundred times. Sizes are the ones that
cost a renderer seconds to minutes before the sanitizer counted them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

from PIL import Image

_SVG = 'xmlns="http://www.w3.org/2000/svg"'


def _svg(body: str, defs: str = "") -> bytes:
    return f'<svg {_SVG} viewBox="0 0 512 512"><defs>{defs}</defs>{body}</svg>'.encode()


def _zigzag(vertices: int, span: int = 512) -> str:
    return "M0 0 " + " ".join(f"L{(i * 7) % span} {(i * 13) % span}" for i in range(vertices))


def markers_on_a_long_path() -> bytes:
    dots = "".join(f'<circle cx="{i % 5}" cy="{i // 5}" r="1"/>' for i in range(20))
    return _svg(
        f'<path d="{_zigzag(2000)}" fill="none" stroke="black" marker-mid="url(#m)"/>',
        f'<marker id="m" markerWidth="10" markerHeight="10">{dots}</marker>',
    )


def markers_inside_markers() -> bytes:
    inner = f'<path d="{_zigzag(50, 10)}" stroke="red"'
    return _svg(
        f'<path d="{_zigzag(300)}" fill="none" stroke="black" marker-mid="url(#b)"/>',
        f'<marker id="a" markerWidth="10" markerHeight="10">{inner}/></marker>'
        f'<marker id="b" markerWidth="10" markerHeight="10">'
        f'{inner} marker-mid="url(#a)"/></marker>',
    )


def markers_inherited_from_a_group() -> bytes:
    dots = "".join(f'<circle cx="{i % 5}" cy="{i // 5}" r="1"/>' for i in range(20))
    paths = "".join(f'<path d="{_zigzag(200)}"/>' for _ in range(10))
    return _svg(
        f'<g marker-mid="url(#m)" style="marker-end:url(#m)" fill="none" '
        f'stroke="black">{paths}</g>',
        f'<marker id="m" markerWidth="10" markerHeight="10">{dots}</marker>',
    )


def tiny_dashes_on_a_long_path() -> bytes:
    return _svg(f'<path d="{_zigzag(5000)}" fill="none" stroke="black" stroke-dasharray="0.05"/>')


def tiny_dashes_inherited() -> bytes:
    return _svg(
        f'<g stroke-dasharray="0.05" stroke="black" fill="none"><path d="{_zigzag(5000)}"/></g>'
    )


def tiny_dashes_from_a_stylesheet() -> bytes:
    return _svg(
        f"<style>.d{{stroke-dasharray:0.05;stroke:black;fill:none}}</style>"
        f'<path class="d" d="{_zigzag(5000)}"/>'
    )


def nested_patterns() -> bytes:
    defs = (
        '<pattern id="p0" width="1" height="1" patternUnits="userSpaceOnUse">'
        '<rect width="1" height="1" fill="red"/></pattern>'
    )
    for i in range(1, 8):
        defs += (
            f'<pattern id="p{i}" width="2" height="2" patternUnits="userSpaceOnUse">'
            f'<rect width="2" height="2" fill="url(#p{i - 1})"/></pattern>'
        )
    return _svg('<rect width="512" height="512" fill="url(#p7)"/>', defs)


def nested_masks() -> bytes:
    defs = '<mask id="k0"><rect width="512" height="512" fill="white"/></mask>'
    for i in range(1, 8):
        twice = f'<rect width="512" height="512" fill="white" mask="url(#k{i - 1})"/>' * 2
        defs += f'<mask id="k{i}">{twice}</mask>'
    return _svg('<rect width="512" height="512" mask="url(#k7)"/>', defs)


def huge_mask_surface() -> bytes:
    return _svg(
        '<rect width="512" height="512" mask="url(#k)"/>',
        '<mask id="k" maskUnits="userSpaceOnUse" x="0" y="0" width="30000" '
        'height="30000"><rect width="512" height="512" fill="white"/></mask>',
    )


def huge_stroke_widths() -> bytes:
    return _svg(
        f'<path d="{_zigzag(200)}" fill="none" stroke="black" stroke-width="1e7" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
    )


def filters() -> bytes:
    return _svg(
        '<rect width="512" height="512" filter="url(#f)"/>',
        '<filter id="f"><feGaussianBlur stdDeviation="1000"/>'
        '<feMorphology radius="1000"/></filter>',
    )


def image_used_a_hundred_times() -> bytes:
    """A 16-megapixel PNG (compressed to a few kB), drawn again by every <use>."""
    out = io.BytesIO()
    Image.new("RGB", (4000, 4000), (200, 10, 10)).save(out, "PNG")
    data = base64.b64encode(out.getvalue()).decode()
    uses = "".join(f'<use href="#i" x="{i % 50}"/>' for i in range(100))
    return _svg(
        uses, f'<image id="i" width="512" height="512" href="data:image/png;base64,{data}"/>'
    )


def long_path_within_bounds() -> bytes:
    """The most a single path may be (about 100 000 vertices in under 1 MB): drawn."""
    return _svg(f'<path d="{_zigzag(100_000)}" fill="none" stroke="black"/>')


CORPUS: dict[str, Callable[[], bytes]] = {
    function.__name__: function
    for function in (
        markers_on_a_long_path,
        markers_inside_markers,
        markers_inherited_from_a_group,
        tiny_dashes_on_a_long_path,
        tiny_dashes_inherited,
        tiny_dashes_from_a_stylesheet,
        nested_patterns,
        nested_masks,
        huge_mask_surface,
        huge_stroke_widths,
        filters,
        image_used_a_hundred_times,
        long_path_within_bounds,
    )
}
