"""WCAG contrast: the ratio itself, and the designer's warnings."""

from __future__ import annotations

import pytest

from badge_design.accessibility import check_design_contrast, contrast_ratio
from badge_design.design import validate_design


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's checker gives 4.54:1 for #767676 on white: the classic AA-passing grey.
    assert contrast_ratio("#767676", "#fff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#fff", "#767676") == contrast_ratio("#767676", "#fff")


def test_good_design_has_no_warnings() -> None:
    design = validate_design(
        {
            "fill": {"type": "solid", "color": "#1e3a8a"},
            "text_color": "#ffffff",
            "icon": {"name": "book", "color": "#ffffff"},
        }
    )
    assert check_design_contrast(design) == []


def test_low_text_contrast_is_reported_with_the_ratio() -> None:
    design = validate_design(
        {"fill": {"type": "solid", "color": "#ffff00"}, "text_color": "#ffffff", "icon": None}
    )
    [warning] = check_design_contrast(design)
    assert "#ffffff on background #ffff00" in warning
    assert "1.1:1" in warning and "4.5:1" in warning


def test_each_gradient_stop_is_checked() -> None:
    design = validate_design(
        {
            "fill": {"type": "gradient", "color": "#000000", "color2": "#eeeeee"},
            "text_color": "#ffffff",
            "icon": None,
        }
    )
    warnings = check_design_contrast(design)
    assert len(warnings) == 1 and "#eeeeee" in warnings[0]


def test_icon_uses_the_graphics_threshold() -> None:
    # 3.5:1 passes for a graphic (3:1) though it would fail for text (4.5:1).
    design = validate_design(
        {
            "fill": {"type": "solid", "color": "#ffffff"},
            "text_color": "#000000",
            "title": "x",
            "icon": {"name": "book", "color": "#8a8a8a"},
        }
    )
    assert 3 < contrast_ratio("#8a8a8a", "#ffffff") < 4.5
    assert check_design_contrast(design) == []
    faint = validate_design(
        {
            "fill": {"type": "solid", "color": "#ffffff"},
            "text_color": "#000000",
            "icon": {"name": "book", "color": "#cccccc"},
        }
    )
    [warning] = check_design_contrast(faint)
    assert warning.startswith("Icon colour #cccccc") and "3.0:1 for graphics" in warning


def test_no_text_means_no_text_warning() -> None:
    design = validate_design(
        {
            "title": "",
            "subtitle": "",
            "icon": None,
            "fill": {"type": "solid", "color": "#ffffff"},
            "text_color": "#ffffff",
        }
    )
    assert check_design_contrast(design) == []
