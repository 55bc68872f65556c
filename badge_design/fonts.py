"""The bundled font (Noto Sans, SIL OFL 1.1), turned into SVG outlines.

Badge text is drawn as paths, never as ``<text>``: a ``<text>`` element is laid out by
whatever fonts the viewing machine has (cairosvg uses the system's, browsers their own), so
the same badge would look different on every machine. Outlines look the same everywhere.

Fontsource ships the font split by script (latin, latin-ext, greek, …); a character is
looked up in each file in turn. All files share one design grid (1000 units per em).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools.pens.recordingPen import DecomposingRecordingPen, RecordingPen
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
SUBSETS: tuple[str, ...] = ("latin", "latin-ext", "greek", "cyrillic", "vietnamese")
TITLE_WEIGHT = 700
SUBTITLE_WEIGHT = 600

# Characters every piece of text may contain without a glyph lookup: spaces are advances.
_SPACES = {" ", "\u00a0"}


@dataclass(frozen=True)
class _Face:
    """One subset file: its character map, advances, kerning and outline cache."""

    font: TTFont
    cmap: dict[int, str]
    kerning: dict[tuple[str, str], int]


# fontTools decodes glyphs lazily and is not thread-safe while doing so; loading the
# fonts and drawing a glyph for the first time happen under this lock (later calls hit
# the caches and never take it).
_LOAD_LOCK = threading.Lock()
_FACES: dict[int, tuple[_Face, ...]] = {}
_OUTLINES: dict[tuple[int, str, int], tuple[RecordingPen, int]] = {}


def _faces(weight: int) -> tuple[_Face, ...]:
    faces = _FACES.get(weight)
    if faces is not None:
        return faces
    with _LOAD_LOCK:
        if weight not in _FACES:
            _FACES[weight] = _load_faces(weight)
        return _FACES[weight]


def _load_faces(weight: int) -> tuple[_Face, ...]:
    faces = []
    for subset in SUBSETS:
        # lazy=False decodes the tables once, when the first badge is drawn, instead of
        # in the middle of some later render.
        font = TTFont(FONT_DIR / f"noto-sans-{subset}-{weight}-normal.woff", lazy=False)
        faces.append(_Face(font=font, cmap=font.getBestCmap(), kerning=_pair_kerning(font)))
    return tuple(faces)


def _pair_kerning(font: TTFont) -> dict[tuple[str, str], int]:
    """Flatten the GPOS 'kern' pair adjustments into {(left, right): x advance delta}.

    We do no full text shaping (no HarfBuzz dependency); badge texts are short Latin, Greek
    or Cyrillic words where pair kerning is the one adjustment a reader notices.
    """
    pairs: dict[tuple[str, str], int] = {}
    if "GPOS" not in font:
        return pairs
    table = font["GPOS"].table
    if table.FeatureList is None or table.LookupList is None:
        return pairs
    lookup_ids = sorted(
        {
            index
            for record in table.FeatureList.FeatureRecord
            if record.FeatureTag == "kern"
            for index in record.Feature.LookupListIndex
        }
    )
    for index in lookup_ids:
        lookup = table.LookupList.Lookup[index]
        for subtable in lookup.SubTable:
            if lookup.LookupType == 9:  # extension: the real subtable is wrapped
                subtable = subtable.ExtSubTable
            if getattr(subtable, "LookupType", 2) != 2:
                continue
            _add_pair_subtable(subtable, pairs)
    return pairs


def _add_pair_subtable(subtable: object, pairs: dict[tuple[str, str], int]) -> None:
    coverage = subtable.Coverage.glyphs  # type: ignore[attr-defined]
    if subtable.Format == 1:  # type: ignore[attr-defined]
        for first, pair_set in zip(coverage, subtable.PairSet, strict=False):  # type: ignore[attr-defined]
            for record in pair_set.PairValueRecord:
                value = getattr(record.Value1, "XAdvance", 0) if record.Value1 else 0
                # Earlier lookups win, as a shaper applies the first matching subtable.
                if value:
                    pairs.setdefault((first, record.SecondGlyph), value)
    elif subtable.Format == 2:  # type: ignore[attr-defined]
        class1 = subtable.ClassDef1.classDefs  # type: ignore[attr-defined]
        class2 = subtable.ClassDef2.classDefs  # type: ignore[attr-defined]
        by_class2: dict[int, list[str]] = {}
        for glyph, cls in class2.items():
            by_class2.setdefault(cls, []).append(glyph)
        for first in coverage:
            row = subtable.Class1Record[class1.get(first, 0)]  # type: ignore[attr-defined]
            for cls, record in enumerate(row.Class2Record):
                value = getattr(record.Value1, "XAdvance", 0) if record.Value1 else 0
                if not value or cls == 0:
                    # Class 0 is "every other glyph"; Noto never kerns it, and expanding
                    # it would mean every glyph of the font.
                    continue
                for second in by_class2.get(cls, ()):
                    pairs.setdefault((first, second), value)


def _lookup(char: str, weight: int) -> tuple[_Face, str] | None:
    code = ord(char)
    for face in _faces(weight):
        name = face.cmap.get(code)
        if name is not None:
            return face, name
    return None


def unsupported_characters(text: str, weight: int = TITLE_WEIGHT) -> list[str]:
    """Characters of ``text`` that the bundled font has no glyph for, in order, once each."""
    missing: list[str] = []
    for char in text:
        if char not in _SPACES and _lookup(char, weight) is None and char not in missing:
            missing.append(char)
    return missing


def _outline(face_index: int, glyph: str, weight: int) -> tuple[RecordingPen, int]:
    key = (face_index, glyph, weight)
    found = _OUTLINES.get(key)
    if found is not None:
        return found
    face = _faces(weight)[face_index]
    with _LOAD_LOCK:
        if key not in _OUTLINES:
            _OUTLINES[key] = _draw_glyph(face, glyph)
        return _OUTLINES[key]


def _draw_glyph(face: _Face, glyph: str) -> tuple[RecordingPen, int]:
    glyph_set = face.font.getGlyphSet()
    # Accented letters are composites (base + accent); flatten them into plain contours.
    pen = DecomposingRecordingPen(glyph_set)
    glyph_set[glyph].draw(pen)
    return pen, glyph_set[glyph].width


@dataclass(frozen=True)
class _Placed:
    face_index: int
    glyph: str
    x: int  # pen position in font units from the start of the line


def _layout(text: str, weight: int) -> tuple[list[_Placed], int]:
    """Place each glyph of a one-line ``text``; return the glyphs and the total advance."""
    faces = _faces(weight)
    placed: list[_Placed] = []
    x = 0
    previous: tuple[int, str] | None = None
    for char in text:
        found = _lookup(" " if char in _SPACES else char, weight)
        if found is None:  # validation refuses such text; skip rather than fail to draw
            previous = None
            continue
        face, name = found
        index = faces.index(face)
        if previous is not None and previous[0] == index:
            x += face.kerning.get((previous[1], name), 0)
        _, advance = _outline(index, name, weight)
        placed.append(_Placed(index, name, x))
        x += advance
        previous = (index, name)
    return placed, x


def text_width(text: str, weight: int = TITLE_WEIGHT) -> int:
    """The advance width of one line of ``text`` in font units (1000 per em)."""
    return _layout(text, weight)[1]


UNITS_PER_EM = 1000
#: Height of capital letters in font units: used to centre a line optically.
CAP_HEIGHT = 714


def _fmt(value: float) -> str:
    # Two decimals are well below a pixel at any size we render, keep the SVG small, and
    # make the output independent of float noise in the last digits.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_path(
    text: str, size: float, center_x: float, baseline_y: float, weight: int = TITLE_WEIGHT
) -> str:
    """SVG path data drawing one line of ``text`` at ``size`` px, centred on ``center_x``
    with its baseline at ``baseline_y``. Empty text gives an empty string."""
    placed, width = _layout(text, weight)
    scale = size / UNITS_PER_EM
    start_x = center_x - width * scale / 2
    pen = SVGPathPen(None, ntos=_fmt)
    for glyph in placed:
        recording, _ = _outline(glyph.face_index, glyph.glyph, weight)
        # Font units grow upwards, SVG's downwards: flip y about the baseline.
        recording.replay(
            TransformPen(pen, (scale, 0, 0, -scale, start_x + glyph.x * scale, baseline_y))
        )
    return pen.getCommands()
