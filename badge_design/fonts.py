"""Badge text in any script: bundled Noto fonts, shaped by HarfBuzz, turned into SVG outlines.

Badge text is drawn as paths, never as ``<text>``: a ``<text>`` element is laid out by
whatever fonts the viewing machine has (cairosvg uses the system's, browsers their own), so
the same badge would look different on every machine. Outlines look the same everywhere.

A line goes through the steps a text engine takes, with well-kept libraries for each:

1. the Unicode bidirectional algorithm (python-bidi) gives each character its embedding
   level and the line its visual order, so a mixed Latin and Arabic title reads right;
2. each character gets the first bundled font that covers it (font fallback); spaces,
   digits, punctuation and combining marks stay in the font of the text around them;
3. each run of one font and one direction is shaped by HarfBuzz (Arabic joining forms,
   Devanagari conjuncts and vowel signs, kerning, mark positioning);
4. the runs are placed in visual order and their glyphs drawn as outlines.

The fonts (``assets/README.md`` lists them): Noto Sans split by script (latin, latin-ext,
greek, cyrillic, vietnamese), then Noto Sans Arabic, Hebrew and Devanagari, all in weights
600 and 700, then the CJK fonts in weight 700 only, for titles and subtitles alike: Noto Sans
JP cut to JIS X 0208 level 1 (kana, CJK punctuation, full-width forms and the 2,965 most used
kanji), Noto Sans SC cut to GB 2312 level 1 (3,755 hanzi) and Noto Sans KR cut to the 2,350
Hangul syllables of KS X 1001. Every font is drawn on a grid of 1000 units per em.

Han characters are shared by Chinese and Japanese but drawn a little differently in each: a
line with kana takes them from the Japanese font, any other line from the Chinese one (each
falls back to the other for a character it lacks).
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

# HarfBuzz, fontTools and python-bidi are imported where text is first drawn: a web or queue
# process that never draws a badge's text does not hold them in memory (about 9 MiB).
if TYPE_CHECKING:
    import uharfbuzz as hb

from badge_design.messages import translatable

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
#: Noto Sans's own files, by script subset (the PDF certificate embeds these).
SUBSETS: tuple[str, ...] = ("latin", "latin-ext", "greek", "cyrillic", "vietnamese")
#: Fonts for the scripts Noto Sans lacks, as (family, subset) of the fontsource file names.
SCRIPT_FONTS: tuple[tuple[str, str], ...] = (
    ("noto-sans-arabic", "arabic"),
    ("noto-sans-hebrew", "hebrew"),
    ("noto-sans-devanagari", "devanagari"),
)
#: The CJK fonts, in one weight (subsets, see ``assets/refresh_assets.py``).
JAPANESE_FILE = "noto-sans-jp-jis-level1-700-normal.woff"
CHINESE_FILE = "noto-sans-sc-gb2312-level1-700-normal.woff"
KOREAN_FILE = "noto-sans-kr-ksx1001-700-normal.woff"
#: What the bundled fonts cover, in words for an instructor whose text they cannot draw.
COVERAGE = translatable(
    "Latin, Greek, Cyrillic, Vietnamese, Arabic, Hebrew, Devanagari, Japanese"
    " (kana and the 2,965 most used kanji), Simplified Chinese (the 3,755 most used hanzi)"
    " and Korean (the 2,350 most used Hangul syllables)"
)
TITLE_WEIGHT = 700
SUBTITLE_WEIGHT = 600
UNITS_PER_EM = 1000
#: Height of capital letters in font units: used to centre a line optically.
CAP_HEIGHT = 714

# Characters every piece of text may contain without a glyph of their own.
_SPACES = {" ", "\u00a0"}
# Zero-width joiner and non-joiner: invisible, but they choose Persian, Urdu and Indic
# letter forms, so they are allowed in drawn text and shaped with their neighbours.
JOINERS = {"\u200c", "\u200d"}


def font_files(weight: int) -> tuple[str, ...]:
    """The font files drawing ``weight``, in the order a character is looked up."""
    return (
        *(f"noto-sans-{subset}-{weight}-normal.woff" for subset in SUBSETS),
        *(f"{family}-{subset}-{weight}-normal.woff" for family, subset in SCRIPT_FONTS),
        JAPANESE_FILE,
        CHINESE_FILE,
        KOREAN_FILE,
    )


@dataclass(frozen=True)
class _Face:
    """One font file, ready for HarfBuzz: its name, the shaping font and its coverage."""

    name: str
    font: hb.Font
    codepoints: frozenset[int]


#: One glyph's outline: SVG path commands ("M", "L", "Q", "C", "Z") with their points in
#: font units, y up.
Outline = tuple[tuple[str, tuple[float, ...]], ...]
_COMMANDS = {"moveTo": "M", "lineTo": "L", "qCurveTo": "Q", "curveTo": "C", "closePath": "Z"}


# Loading the fonts and drawing a glyph for the first time happen under this lock (later
# calls hit the caches and never take it).
_LOAD_LOCK = threading.Lock()
_FACES: dict[int, tuple[_Face, ...]] = {}
_OUTLINES: dict[tuple[str, int], Outline] = {}


def _faces(weight: int) -> tuple[_Face, ...]:
    faces = _FACES.get(weight)
    if faces is not None:
        return faces
    with _LOAD_LOCK:
        if weight not in _FACES:
            _FACES[weight] = tuple(_load_face(name) for name in font_files(weight))
        return _FACES[weight]


@cache
def _load_face(name: str) -> _Face:
    # HarfBuzz reads plain OpenType, not WOFF: fontTools unpacks the zlib-compressed
    # tables once, in memory.
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    ttfont = TTFont(FONT_DIR / name)
    ttfont.flavor = None
    data = io.BytesIO()
    ttfont.save(data)
    face = hb.Face(data.getvalue())
    font = hb.Font(face)
    # One grid for every font: positions and outlines come out in units of 1/1000 em.
    font.scale = (UNITS_PER_EM, UNITS_PER_EM)
    return _Face(name=name, font=font, codepoints=frozenset(face.unicodes))


def face_names(weight: int = TITLE_WEIGHT) -> tuple[str, ...]:
    """The names of the font files used for ``weight``, in lookup order."""
    return tuple(face.name for face in _faces(weight))


def _covering(code: int, faces: tuple[_Face, ...], han_in_chinese: bool = False) -> int | None:
    """The index of the first face drawing ``code``; with ``han_in_chinese`` the Chinese
    font is asked before the Japanese one."""
    order = list(range(len(faces)))
    if han_in_chinese:
        names = [face.name for face in faces]
        japanese, chinese = names.index(JAPANESE_FILE), names.index(CHINESE_FILE)
        order = [chinese if i == japanese else japanese if i == chinese else i for i in order]
    for index in order:
        if code in faces[index].codepoints:
            return index
    return None


def _has_kana(text: str) -> bool:
    """Whether ``text`` has hiragana or katakana, which make its Han characters Japanese."""
    return any(0x3041 <= ord(char) <= 0x30FF or 0x31F0 <= ord(char) <= 0x31FF for char in text)


def _follows_neighbours(char: str) -> bool:
    """Spaces, digits, punctuation, marks and joiners: set in the font of their context."""
    return char in _SPACES or char in JOINERS or unicodedata.category(char)[0] in "MNPSZ"


def unsupported_characters(text: str, weight: int = TITLE_WEIGHT) -> list[str]:
    """Characters of ``text`` that no bundled font has a glyph for, in order, once each."""
    faces = _faces(weight)
    missing: list[str] = []
    for char in text:
        if char in _SPACES or char in JOINERS or char in missing:
            continue
        if _covering(ord(char), faces) is None:
            missing.append(char)
    return missing


def _font_per_character(text: str, faces: tuple[_Face, ...]) -> list[int | None]:
    """The face index each character is set in (``None``: no font has it)."""
    chosen: list[int | None] = []
    current: int | None = None
    han_in_chinese = not _has_kana(text)
    for char in text:
        code = ord(" ") if char in _SPACES else ord(char)
        if (
            _follows_neighbours(char)
            and current is not None
            and (char in JOINERS or code in faces[current].codepoints)
        ):
            chosen.append(current)
            continue
        index = _covering(code, faces, han_in_chinese)
        chosen.append(index)
        if index is not None and not _follows_neighbours(char):
            current = index
    # Neutrals before the first letter join the font of that letter when it has them.
    first = next((i for i, c in enumerate(text) if not _follows_neighbours(c)), None)
    if first is not None and chosen[first] is not None:
        face = faces[chosen[first]]  # type: ignore[index]
        for i in range(first):
            if text[i] in JOINERS or ord(text[i]) in face.codepoints:
                chosen[i] = chosen[first]
    return chosen


def _bidi(text: str) -> tuple[list[int], list[int]]:
    """Embedding level per character and the visual order (logical indices, left to right).

    Runs the steps of python-bidi's reference implementation of the Unicode bidirectional
    algorithm up to the reordering (L2), but not its mirroring: HarfBuzz mirrors brackets
    in right-to-left runs itself.
    """
    from bidi import algorithm as bidi_algorithm

    storage = bidi_algorithm.get_empty_storage()
    base_level = bidi_algorithm.get_base_level(text)
    storage["base_level"] = base_level
    storage["base_dir"] = ("L", "R")[base_level]
    bidi_algorithm.get_embedding_levels(text, storage, debug=False)
    # The algorithm keeps one record per character; remember whose record is whose
    # before it reorders them.
    logical = {id(record): i for i, record in enumerate(storage["chars"])}
    bidi_algorithm.explicit_embed_and_overrides(storage, debug=False)
    bidi_algorithm.resolve_weak_types(storage, debug=False)
    bidi_algorithm.resolve_neutral_types(storage, debug=False)
    bidi_algorithm.resolve_implicit_levels(storage, debug=False)
    levels = [base_level] * len(text)
    for record in storage["chars"]:
        levels[logical[id(record)]] = record["level"]
    bidi_algorithm.reorder_resolved_levels(storage, debug=False)
    order = [logical[id(record)] for record in storage["chars"]]
    # Characters the algorithm sets aside (rule X9: joiners) take their neighbour's level.
    for i in sorted(set(range(len(text))) - set(order)):
        levels[i] = levels[i - 1] if i else base_level
        order.insert(order.index(i - 1) + 1 if i else 0, i)
    return levels, order


def visual_order(text: str) -> str:
    """The characters of one line of ``text`` left to right as drawn (right-to-left runs
    reversed), the order in which PDF readers expect a line's text."""
    _levels, order = _bidi(text)
    return "".join(text[i] for i in order)


@dataclass(frozen=True)
class ShapedRun:
    """One run of text in one font and one direction, shaped by HarfBuzz.

    ``glyphs`` are HarfBuzz's output, left to right as drawn: (glyph id, x advance,
    x offset, y offset, cluster), in font units; a cluster is the index in the line's text
    of the first character the glyph comes from.
    """

    font: str
    start: int
    end: int
    rtl: bool
    glyphs: tuple[tuple[int, int, int, int, int], ...]

    @property
    def advance(self) -> int:
        """The run's width in font units."""
        return sum(glyph[1] for glyph in self.glyphs)


@dataclass(frozen=True)
class ShapedLine:
    """A line of text shaped and ordered: its runs left to right and its total width."""

    text: str
    runs: tuple[ShapedRun, ...]

    @property
    def width(self) -> int:
        """The line's advance width in font units."""
        return sum(run.advance for run in self.runs)


def shape_run(face: _Face, text: str, start: int, end: int, rtl: bool) -> ShapedRun:
    """Shape ``text[start:end]`` with one font; the rest of ``text`` is context, so
    Arabic letters join across a change of font or direction as they should."""
    import uharfbuzz as hb

    buffer = hb.Buffer()
    buffer.add_str(text, item_offset=start, item_length=end - start)
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.guess_segment_properties()
    hb.shape(face.font, buffer)
    glyphs = tuple(
        (info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset, info.cluster)
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    )
    return ShapedRun(face.name, start, end, rtl, glyphs)


@lru_cache(maxsize=4096)
def shape_line(text: str, weight: int = TITLE_WEIGHT) -> ShapedLine:
    """Shape one line of ``text``: bidi levels, font per character, HarfBuzz per run.

    Characters no font covers are left out (validation refuses such text before it gets
    here, see :func:`unsupported_characters`). Cached: the layout asks for the same line's
    width many times while it fits the text to the shape.
    """
    faces = _faces(weight)
    text = "".join(" " if char in _SPACES else char for char in text)
    if not text:
        return ShapedLine(text, ())
    levels, order = _bidi(text)
    chosen = _font_per_character(text, faces)
    runs: list[ShapedRun] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i < len(text) and (levels[i], chosen[i]) == (levels[start], chosen[start]):
            continue
        face_index = chosen[start]
        if face_index is not None:
            runs.append(shape_run(faces[face_index], text, start, i, levels[start] % 2 == 1))
        start = i
    # A run is a contiguous block on screen too; its leftmost character orders the runs.
    position = {index: visual for visual, index in enumerate(order)}
    runs.sort(key=lambda run: min(position[i] for i in range(run.start, run.end)))
    return ShapedLine(text, tuple(runs))


def text_width(text: str, weight: int = TITLE_WEIGHT) -> int:
    """The advance width of one line of ``text`` in font units (1000 per em)."""
    return shape_line(text, weight).width


def _outline(face_name: str, glyph_id: int) -> Outline:
    key = (face_name, glyph_id)
    found = _OUTLINES.get(key)
    if found is not None:
        return found
    with _LOAD_LOCK:
        if key not in _OUTLINES:
            from fontTools.pens.recordingPen import RecordingPen

            pen = RecordingPen()
            _load_face(face_name).font.draw_glyph_with_pen(glyph_id, pen)
            # HarfBuzz draws one segment per call (implied on-curve points already added),
            # so each call is one SVG command.
            _OUTLINES[key] = tuple(
                (_COMMANDS[method], tuple(c for point in points for c in point))
                for method, points in pen.value
                if method in _COMMANDS
            )
        return _OUTLINES[key]


def _fmt(value: float) -> str:
    # Two decimals are well below a pixel at any size we render, keep the SVG small, and
    # make the output independent of float noise in the last digits.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def glyph_outlines(text: str, weight: int = TITLE_WEIGHT) -> Iterator[tuple[int, int, Outline]]:
    """The glyphs of one shaped line of ``text``, left to right as drawn: each one's origin
    (x, y in font units from the line's start on the baseline, y up) and its outline."""
    x = 0
    for run in shape_line(text, weight).runs:
        for glyph_id, advance, x_offset, y_offset, _cluster in run.glyphs:
            yield x + x_offset, y_offset, _outline(run.font, glyph_id)
            x += advance


def text_path(
    text: str, size: float, center_x: float, baseline_y: float, weight: int = TITLE_WEIGHT
) -> str:
    """SVG path data drawing one line of ``text`` at ``size`` px, centred on ``center_x``
    with its baseline at ``baseline_y``. Empty text gives an empty string."""
    scale = size / UNITS_PER_EM
    start = center_x - text_width(text, weight) * scale / 2
    parts: list[str] = []
    for x, y, outline in glyph_outlines(text, weight):
        left = start + x * scale
        # Font units grow upwards, SVG's downwards: flip y about the baseline.
        baseline = baseline_y - y * scale
        for command, coords in outline:
            parts.append(command)
            parts.append(
                " ".join(
                    _fmt(left + c * scale) if i % 2 == 0 else _fmt(baseline - c * scale)
                    for i, c in enumerate(coords)
                )
            )
    return "".join(parts)
