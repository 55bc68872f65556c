"""Shape measurements behind the sanitizer's cost bounds: exact where simple, never short."""

from __future__ import annotations

import math
from xml.etree.ElementTree import Element

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badge_design.svg_cost import dash_period, path_geometry, shape_geometry
from badge_design.svg_sanitize import sanitize_svg
from badge_design.upload_errors import UploadError


@pytest.mark.parametrize(
    ("d", "vertices", "length"),
    [
        ("M0 0 H10 V10 H0 Z", 5, 40.0),
        ("m0 0 10 0 0 10 -10 0 z", 5, 40.0),  # pairs after a moveto are linetos
        ("M0,0L3,4", 2, 5.0),
        ("M0 0 C0 10 10 10 10 0", 2, 30.0),  # control polygon: never shorter than the curve
        ("M0 0 Q5 10 10 0 T20 0", 3, 2 * math.hypot(5, 10) * 2),
        ("M0 0 A5 5 0 1 1 10 0", 2, 2 * math.pi * 5),
        ("M0 0 a5 5 0 0010 0", 2, 2 * math.pi * 5),  # flags written without separators
        ("M0 0 L10 0 X 20 20", 2, 10.0),  # renderers stop at the first error; so do we
    ],
)
def test_path_vertices_and_length(d: str, vertices: int, length: float) -> None:
    assert path_geometry(d) == (vertices, pytest.approx(length))


def test_shapes_and_percentages() -> None:
    assert shape_geometry(Element("rect", {"width": "50%", "height": "10"}), 200) == (4, 220)
    assert shape_geometry(Element("circle", {"r": "1in"}), 0)[1] == pytest.approx(2 * math.pi * 96)
    assert shape_geometry(Element("polygon", {"points": "0,0 3,0 3,4"}), 0) == (4, 12.0)
    assert shape_geometry(Element("g"), 100) == (0, 0.0)


def test_dash_periods() -> None:
    assert dash_period("4 2", 100) == 6
    assert dash_period("5%", 200) == 10
    assert dash_period("none", 100) is None
    assert dash_period("0 0", 100) is None  # renderers draw a solid line


@given(st.text(alphabet="MmLlHhVvCcSsQqTtAaZz0123456789.,-+eE ", max_size=200))
def test_any_path_data_is_measured_without_error(d: str) -> None:
    vertices, length = path_geometry(d)
    assert vertices >= 0 and not length < 0


def test_an_outline_too_long_to_measure_is_refused_when_dashed() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M0 0 '
        'L1e999 0" stroke="black" stroke-dasharray="1"/></svg>'
    )
    with pytest.raises(UploadError, match="countless dashes"):
        sanitize_svg(svg)
