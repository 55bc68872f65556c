"""Badge text in any script: the designer's shaping checked against HarfBuzz run directly.

The expected glyph sequences come from HarfBuzz shaping the text with the bundled font file
itself, not from the code under test, so a wrong font choice, a lost context, a wrong
direction or a wrong run order shows up as a different sequence.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from badge_design import fonts
from badge_design.design import DesignError, validate_design
from badge_design.render import render_pngs
from badge_design.templates import render_svg

ROOT = Path(__file__).resolve().parents[2]


def _hb_font(name: str) -> hb.Font:
    ttfont = TTFont(fonts.FONT_DIR / name)
    ttfont.flavor = None
    data = io.BytesIO()
    ttfont.save(data)
    font = hb.Font(hb.Face(data.getvalue()))
    font.scale = (1000, 1000)
    return font


def _harfbuzz(name: str, text: str, start: int = 0, end: int | None = None, rtl: bool = False):
    """(glyph id, advance) pairs from HarfBuzz on the bundled font file, nothing else."""
    buffer = hb.Buffer()
    end = len(text) if end is None else end
    buffer.add_str(text, item_offset=start, item_length=end - start)
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.guess_segment_properties()
    hb.shape(_hb_font(name), buffer)
    return [
        (info.codepoint, pos.x_advance)
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    ]


def _glyphs(run: fonts.ShapedRun) -> list[tuple[int, int]]:
    return [(glyph[0], glyph[1]) for glyph in run.glyphs]


@pytest.mark.parametrize(
    ("title", "font", "rtl"),
    [
        ("شارة التميز", "noto-sans-arabic-arabic-700-normal.woff", True),
        ("प्रमाणपत्र विजेता", "noto-sans-devanagari-devanagari-700-normal.woff", False),
        ("日本語の達人", fonts.JAPANESE_FILE, False),
        ("עברית מצטיינת", "noto-sans-hebrew-hebrew-700-normal.woff", True),
        ("学习之星", fonts.CHINESE_FILE, False),
        ("한국어", fonts.KOREAN_FILE, False),
    ],
    ids=["arabic", "hindi", "japanese", "hebrew", "chinese", "korean"],
)
def test_single_script_titles_shape_as_harfbuzz_does(title, font, rtl):
    line = fonts.shape_line(title, fonts.TITLE_WEIGHT)
    assert [(run.font, run.rtl) for run in line.runs] == [(font, rtl)]
    assert _glyphs(line.runs[0]) == _harfbuzz(font, title, rtl=rtl)
    assert all(glyph[0] != 0 for glyph in line.runs[0].glyphs), "tofu (.notdef) drawn"
    assert fonts.unsupported_characters(title) == []


def test_arabic_letters_take_their_joining_forms():
    # The same letter shaped alone and inside a word: HarfBuzz picks different glyphs
    # (isolated vs medial), which a character-by-character renderer never does.
    alone = fonts.shape_line("م").runs[0].glyphs[0][0]
    joined = [glyph[0] for glyph in fonts.shape_line("تمت").runs[0].glyphs]
    assert alone not in joined


def test_hindi_conjuncts_reorder_and_combine():
    # "प्र" is three characters (pa, virama, ra) drawn as fewer glyphs, and the vowel sign
    # "ि" is written after its consonant but drawn before it.
    line = fonts.shape_line("प्रवि")
    clusters = [glyph[4] for glyph in line.runs[0].glyphs]
    assert len(clusters) < len("प्रवि")
    assert clusters == sorted(clusters)  # HarfBuzz keeps clusters in visual=logical order
    assert _glyphs(line.runs[0]) == _harfbuzz(
        "noto-sans-devanagari-devanagari-700-normal.woff", "प्रवि"
    )


def test_mixed_latin_and_arabic_title_runs_in_visual_order():
    title = "Python للمبتدئين"
    line = fonts.shape_line(title)
    latin, arabic = line.runs
    assert (latin.font, latin.rtl, title[latin.start : latin.end]) == (
        "noto-sans-latin-700-normal.woff",
        False,
        "Python ",
    )
    assert (arabic.font, arabic.rtl, title[arabic.start : arabic.end]) == (
        "noto-sans-arabic-arabic-700-normal.woff",
        True,
        "للمبتدئين",
    )
    for run in line.runs:
        assert _glyphs(run) == _harfbuzz(run.font, title, run.start, run.end, run.rtl)
    # Right-to-left base: the Arabic comes first in logical order but is drawn on the right.
    flipped = fonts.shape_line("للمبتدئين Python")
    assert [run.rtl for run in flipped.runs] == [False, True]
    assert flipped.text[flipped.runs[0].start : flipped.runs[0].end] == "Python"


def test_brackets_mirror_in_right_to_left_text():
    line = fonts.shape_line("עברית (Hebrew)")
    drawn = [run for run in line.runs if run.font.startswith("noto-sans-latin")]
    # In visual order the first glyph drawn is the closing bracket of the logical text,
    # mirrored into "(" by HarfBuzz: the picture shows "(Hebrew) עברית".
    font = _hb_font("noto-sans-latin-700-normal.woff")
    assert drawn[0].glyphs[0][0] == font.get_nominal_glyph(ord("("))
    assert line.runs[-1].font == "noto-sans-hebrew-hebrew-700-normal.woff"


def test_han_characters_take_the_japanese_font_beside_kana_and_the_chinese_one_otherwise():
    # "中文" alone is Chinese; with kana around it, the same characters are Japanese.
    assert [run.font for run in fonts.shape_line("中文").runs] == [fonts.CHINESE_FILE]
    assert {run.font for run in fonts.shape_line("中文のテスト").runs} == {fonts.JAPANESE_FILE}
    # A character one of the two lacks comes from the other ("優" is not in GB 2312).
    assert [run.font for run in fonts.shape_line("優秀").runs] == [
        fonts.JAPANESE_FILE,
        fonts.CHINESE_FILE,
    ]


def test_uncovered_characters_are_named_not_drawn_as_tofu():
    # "똠" is a Hangul syllable outside KS X 1001's 2,350, "龘" a hanzi outside both subsets.
    assert fonts.unsupported_characters("한글 똠 龘 🏅 ok") == ["똠", "龘", "🏅"]
    with pytest.raises(DesignError) as refused:
        validate_design({"title": "똠배지"})
    assert "cannot draw '똠'" in refused.value.errors["title"]
    assert "Korean" in refused.value.errors["title"]


# "I want" in Persian, with the zero-width non-joiner it needs (escapes keep ruff's
# look-alike-letter check quiet).
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"


def test_zero_width_non_joiner_is_kept_for_persian():
    assert validate_design({"title": PERSIAN}).title == PERSIAN
    with_joiner = fonts.shape_line(PERSIAN).runs[0].glyphs
    without = fonts.shape_line(PERSIAN.replace("\u200c", "")).runs[0].glyphs
    assert [g[0] for g in with_joiner] != [g[0] for g in without]


_SCRIPT_TEXT = st.text(
    alphabet=st.sampled_from(
        "شارة التميز" + "प्रमाणपत्र" + "日本語の達人カタカナ" + "Quiz 2024 (ok)" + "עברית"
    ),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() != "")


@settings(max_examples=40, deadline=None)
@given(_SCRIPT_TEXT)
def test_any_covered_text_is_drawn_without_tofu_and_the_same_every_time(text):
    assert fonts.unsupported_characters(text) == []
    line = fonts.shape_line.__wrapped__(text, fonts.TITLE_WEIGHT)  # bypass the cache
    assert line == fonts.shape_line(text, fonts.TITLE_WEIGHT)
    assert all(glyph[0] != 0 for run in line.runs for glyph in run.glyphs)
    # Every character belongs to exactly one run.
    covered = sorted(i for run in line.runs for i in range(run.start, run.end))
    assert covered == list(range(len(line.text)))
    first = fonts.text_path(text, 40, 256, 300)
    assert first == fonts.text_path(text, 40, 256, 300)


_DESIGNS = [
    {"title": "شارة التميز", "subtitle": "Python للمبتدئين"},
    {"title": "प्रमाणपत्र विजेता", "template": "shield"},
    {"title": "日本語の達人", "subtitle": "カタカナ", "template": "hexagon"},
]

_FRESH_PROCESS = """
import hashlib, json, sys
from badge_design.design import validate_design
from badge_design.render import render_pngs
from badge_design.templates import render_svg
out = []
for raw in json.loads(sys.argv[1]):
    svg = render_svg(validate_design(raw))
    png, thumb = render_pngs(svg)
    out.append([hashlib.sha256(svg.encode()).hexdigest(), hashlib.sha256(png).hexdigest()])
print(json.dumps(out))
"""


def test_artwork_bytes_are_the_same_in_a_fresh_process():
    import json

    here = []
    for raw in _DESIGNS:
        svg = render_svg(validate_design(raw))
        assert "<text" not in svg
        png, _thumb = render_pngs(svg)
        here.append([hashlib.sha256(svg.encode()).hexdigest(), hashlib.sha256(png).hexdigest()])
    fresh = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, json.dumps(_DESIGNS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert json.loads(fresh.stdout) == here


def test_a_long_japanese_title_breaks_between_characters_into_balanced_lines():
    from badge_design.templates import _fit

    fitted = _fit("日本語能力試験合格者", fonts.TITLE_WEIGHT, 58, 300, 2)
    assert fitted.lines == ("日本語能力", "試験合格者")
    svg = render_svg(validate_design({"title": "日本語能力試験合格者"}))
    assert svg == render_svg(validate_design({"title": "日本語能力試験合格者"}))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("日本語の達人カタカナーっゃ「」、。試験"), min_size=2))
def test_japanese_lines_never_start_with_what_kinsoku_forbids(text):
    from badge_design.templates import _candidates

    for lines in _candidates(text, 2)[1:]:
        assert "".join(lines) == text
        assert lines[1][0] not in "ーっゃ」、。"
        assert lines[0][-1] != "「"
