"""Files that are cheap to upload and dear to draw finish within seconds, with memory bounded.

Before the sanitizer counted drawing costs and rendering moved into a limited child, these
took up to 25 s of CPU each (the nested masks ran past a minute of wall clock) or 566 MB of
memory (the dashes); the README's benchmark section has the figures.
"""

from __future__ import annotations

import time

import pytest

from badge_design.artwork import artwork_from_upload
from badge_design.upload_errors import UploadError
from badge_design.uploads import process_upload
from badge_design.worker import LimitExceeded, run_limited
from tests.badge_design.hostile_corpus import CORPUS

#: What becomes of each file: refused with these words, or drawn with this note (or none).
REFUSED = {
    "markers_on_a_long_path": "too complex to draw",
    "markers_inside_markers": "too complex to draw",
    "nested_masks": "too complex to draw",
    "image_used_a_hundred_times": "too complex to draw",
    "tiny_dashes_on_a_long_path": "dashed lines would draw about",
    "tiny_dashes_inherited": "dashed lines would draw about",
    "tiny_dashes_from_a_stylesheet": "dashed lines would draw about",
    "huge_mask_surface": "too complex to render: drawing it took more than 1024 MB of memory",
}
DRAWN = {
    "markers_inherited_from_a_group": "Removed markers from an element that is not a path",
    "nested_patterns": "Removed <pattern>",
    "filters": "Removed <filter>",
    "huge_stroke_widths": None,
    "long_path_within_bounds": None,
}
#: Seconds a file may take: CPU seconds of the child that draws it, and wall-clock seconds
#: seen by the caller (generous: the machine is shared with other work).
FEW_CPU_SECONDS = 4
FEW_SECONDS = 20
#: Peak resident memory of the child that drew an accepted file.
MEMORY_BOUND = 256 * 1024 * 1024


def test_every_file_of_the_corpus_has_an_expected_outcome() -> None:
    assert set(CORPUS) == set(REFUSED) | set(DRAWN)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_within_seconds_with_a_readable_reason(name: str) -> None:
    start = time.monotonic()
    with pytest.raises(UploadError) as caught:
        artwork_from_upload(f"{name}.svg", CORPUS[name]())
    assert time.monotonic() - start < FEW_SECONDS
    assert REFUSED[name] in str(caught.value)


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_drawn_within_seconds_with_memory_bounded(name: str) -> None:
    start = time.monotonic()
    outcome = run_limited(process_upload, f"{name}.svg", CORPUS[name]())
    assert time.monotonic() - start < FEW_SECONDS
    assert outcome.cpu_seconds < FEW_CPU_SECONDS
    assert outcome.peak_rss_bytes < MEMORY_BOUND
    note = DRAWN[name]
    assert note is None or any(note in warning for warning in outcome.value.warnings)
    assert outcome.value.png.startswith(b"\x89PNG")


def test_the_memory_limit_is_what_stops_a_huge_mask_surface() -> None:
    with pytest.raises(LimitExceeded) as caught:
        run_limited(process_upload, "mask.svg", CORPUS["huge_mask_surface"]())
    assert caught.value.resource == "memory"
