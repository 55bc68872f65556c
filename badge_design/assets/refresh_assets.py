"""Refresh the bundled fonts and icons from their npm packages.

Run by hand (not at import or install time) when upgrading the bundled artwork:

    python badge_design/assets/refresh_assets.py

It needs `npm` on the PATH: `npm pack` downloads the exact package versions pinned below
from the npm registry into a temporary directory, and the files we ship are copied from
there together with each package's license. The copies are committed, so rendering never
needs npm or the network.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent

FONT_PACKAGE = "@fontsource/noto-sans@5.3.0"
# Latin first: the renderer looks a character up in these files in this order.
FONT_SUBSETS = ("latin", "latin-ext", "greek", "cyrillic", "vietnamese")
FONT_WEIGHTS = ("600", "700")

# Fonts for the scripts Noto Sans itself lacks: the script's own subset file of each
# package (its Latin files are left out, Noto Sans draws Latin). Looked up after Noto
# Sans, in this order.
SCRIPT_FONT_PACKAGES = (
    ("@fontsource/noto-sans-arabic@5.3.0", "noto-sans-arabic", "arabic"),
    ("@fontsource/noto-sans-hebrew@5.3.0", "noto-sans-hebrew", "hebrew"),
    ("@fontsource/noto-sans-devanagari@5.3.0", "noto-sans-devanagari", "devanagari"),
)
# Japanese: the package's "japanese" file (about 6,900 characters, 1.4 MB a weight) is cut
# down to JIS X 0208 level 1 (the 2,965 most used kanji) with every kana, the CJK
# punctuation and the full-width forms, and shipped in the title weight only.
JAPANESE_PACKAGE = "@fontsource/noto-sans-jp@5.3.0"
CJK_WEIGHT = "700"
JAPANESE_FILE = "noto-sans-jp-jis-level1-700-normal.woff"
# Chinese and Korean the same way, from each package's own script file, weight 700 only:
# Simplified Chinese cut to GB 2312 (its symbols and the 3,755 level 1 hanzi; 805 KB of
# the file's 1.6 MB), Korean to the 2,350 Hangul syllables of KS X 1001 with the jamo
# (198 KB; all 11,172 syllables would take 870 KB).
CHINESE_PACKAGE = "@fontsource/noto-sans-sc@5.3.0"
CHINESE_FILE = "noto-sans-sc-gb2312-level1-700-normal.woff"
KOREAN_PACKAGE = "@fontsource/noto-sans-kr@5.3.0"
KOREAN_FILE = "noto-sans-kr-ksx1001-700-normal.woff"
# What every CJK font keeps besides its own characters: CJK punctuation, kana (Japanese)
# and the full-width and half-width forms.
_CJK_COMMON = (*range(0x3000, 0x3100), *range(0xFF00, 0xFFF0))

ICON_PACKAGE = "lucide-static@1.62.0"
# A curated set of education and skill icons; the names are Lucide's.
ICONS = (
    "atom",
    "award",
    "badge-check",
    "book",
    "book-open",
    "brain",
    "calculator",
    "camera",
    "circle-check",
    "clipboard-check",
    "code",
    "compass",
    "cpu",
    "crown",
    "database",
    "dna",
    "flag",
    "flask-conical",
    "globe",
    "graduation-cap",
    "handshake",
    "heart-handshake",
    "languages",
    "leaf",
    "library",
    "lightbulb",
    "map",
    "medal",
    "message-circle",
    "microscope",
    "mountain",
    "music",
    "notebook-pen",
    "palette",
    "pen-tool",
    "pencil",
    "presentation",
    "puzzle",
    "rocket",
    "ruler",
    "school",
    "shield-check",
    "sigma",
    "sprout",
    "star",
    "target",
    "terminal",
    "trophy",
    "user-check",
    "users",
    "zap",
)


def _unpack(spec: str, workdir: Path) -> Path:
    """Download one npm package tarball with `npm pack` and unpack it."""
    out = (
        subprocess.run(
            ["npm", "pack", spec, "--silent"],
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    target = workdir / spec.replace("/", "_")
    with tarfile.open(workdir / out) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def _double_byte(codec: str, rows: list[int]) -> set[int]:
    """The characters of a two-byte EUC code page (``codec``) in the given lead-byte rows."""
    kept: set[int] = set()
    for row in rows:
        for cell in range(0xA1, 0xFF):
            try:
                kept.add(ord(bytes((row, cell)).decode(codec)))
            except UnicodeDecodeError:
                continue
    return kept


def japanese_characters() -> list[int]:
    """The code points the bundled Japanese font keeps (see ``JAPANESE_FILE``)."""
    # JIS X 0208 rows 1-8 are kana, punctuation and symbols, rows 16-47 the level 1 kanji;
    # rows 48 and later (level 2) are left out.
    kept = _double_byte("euc_jp", [*range(0xA1, 0xA9), *range(0xB0, 0xD0)])
    kept.update(_CJK_COMMON)
    kept.update(range(0x31F0, 0x3200))  # katakana phonetic extensions
    return sorted(kept)


def chinese_characters() -> list[int]:
    """The code points the bundled Chinese font keeps (see ``CHINESE_FILE``)."""
    # GB 2312 rows 1-9 are punctuation and symbols, rows 16-55 the level 1 hanzi.
    kept = _double_byte("gb2312", [*range(0xA1, 0xAA), *range(0xB0, 0xD8)])
    kept.update(_CJK_COMMON)
    return sorted(kept)


def korean_characters() -> list[int]:
    """The code points the bundled Korean font keeps (see ``KOREAN_FILE``)."""
    # KS X 1001 rows 16-40 are its 2,350 precomposed Hangul syllables.
    kept = _double_byte("euc_kr", list(range(0xB0, 0xC9)))
    kept.update(range(0x1100, 0x1200))  # Hangul jamo
    kept.update(range(0x3130, 0x3190))  # Hangul compatibility jamo
    kept.update(_CJK_COMMON)
    return sorted(kept)


def _subset(source: Path, target: Path, codepoints: list[int]) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False keeps the file's bytes the same on every refresh.
    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False  # outlines are all we draw
    options.notdef_outline = True
    options.flavor = "woff"
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    target.write_bytes(out.getvalue())


def main() -> None:
    """Copy the pinned fonts and icons (and their licenses) into this folder."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fonts = _unpack(FONT_PACKAGE, work)
        (ASSETS / "fonts").mkdir(exist_ok=True)
        shutil.copy(fonts / "LICENSE", ASSETS / "fonts" / "LICENSE")
        for weight in FONT_WEIGHTS:
            for subset in FONT_SUBSETS:
                name = f"noto-sans-{subset}-{weight}-normal.woff"
                shutil.copy(fonts / "files" / name, ASSETS / "fonts" / name)
        for spec, family, subset_name in SCRIPT_FONT_PACKAGES:
            package = _unpack(spec, work)
            shutil.copy(package / "LICENSE", ASSETS / "fonts" / f"LICENSE-{family}")
            for weight in FONT_WEIGHTS:
                name = f"{family}-{subset_name}-{weight}-normal.woff"
                shutil.copy(package / "files" / name, ASSETS / "fonts" / name)
        for spec, family, script, target, codepoints in (
            (JAPANESE_PACKAGE, "noto-sans-jp", "japanese", JAPANESE_FILE, japanese_characters()),
            (
                CHINESE_PACKAGE,
                "noto-sans-sc",
                "chinese-simplified",
                CHINESE_FILE,
                chinese_characters(),
            ),
            (KOREAN_PACKAGE, "noto-sans-kr", "korean", KOREAN_FILE, korean_characters()),
        ):
            package = _unpack(spec, work)
            shutil.copy(package / "LICENSE", ASSETS / "fonts" / f"LICENSE-{family}")
            _subset(
                package / "files" / f"{family}-{script}-{CJK_WEIGHT}-normal.woff",
                ASSETS / "fonts" / target,
                codepoints,
            )

        icons = _unpack(ICON_PACKAGE, work)
        (ASSETS / "icons").mkdir(exist_ok=True)
        shutil.copy(icons / "LICENSE", ASSETS / "icons" / "LICENSE")
        for name in ICONS:
            shutil.copy(icons / "icons" / f"{name}.svg", ASSETS / "icons" / f"{name}.svg")


if __name__ == "__main__":
    main()
