"""Benchmark badge artwork rendering: SVG per template, and SVG to PNG at 512 and 128 px.

Run from the repository root:

    .venv/bin/python bench/render.py [--seconds 1.0]

"SVG renders/s" draws a *new* design each time (the title changes every call), so no
per-design result is reused; only what every render shares stays warm (the font files and
glyph outlines, loaded once per process). The very first render of a process, which loads
the fonts, is measured separately in a fresh interpreter ("process cold start").
PNG figures rasterise a pre-rendered SVG with the locked-down cairosvg settings the app uses.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from badge_design.design import TEMPLATES, validate_design  # noqa: E402
from badge_design.render import render_png  # noqa: E402
from badge_design.templates import render_svg  # noqa: E402


def _rate(action: Callable[[int], object], seconds: float) -> float:
    """Calls per second of ``action(i)`` over at least ``seconds`` (and 3 calls)."""
    action(-1)  # one untimed call, so one-time setup is not counted
    count = 0
    start = time.perf_counter()
    while True:
        action(count)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count / elapsed


def _design(template: str, i: int):
    return validate_design({
        "template": template,
        "title": f"Molecular Biology {i}",
        "subtitle": "Level 2 · 2025",
        "tier": "gold",
        "icon": {"name": "dna", "color": "#ffffff"},
        "fill": {"type": "gradient", "color": "#1e3a8a", "color2": "#2563eb"},
    })


def _cold_start_ms() -> float:
    code = (
        "import time; t=time.perf_counter();"
        "from badge_design.design import validate_design;"
        "from badge_design.templates import render_svg;"
        "render_svg(validate_design({'title': 'Cold start'}));"
        "print((time.perf_counter()-t)*1000)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts() -> list[tuple[str, str]]:
    """What the figures depend on: CPU, cores, Python and library versions."""
    import cairocffi
    import cairosvg
    import fontTools
    import PIL

    return [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("cairosvg", cairosvg.__version__),
        ("cairo", cairocffi.cairo_version_string()),
        ("Pillow", PIL.__version__),
        ("fontTools", fontTools.version),
    ]


def main() -> None:
    """Print machine facts and a per-template table of render rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="time spent measuring each figure (default 1.0)")
    args = parser.parse_args()

    for name, value in machine_facts():
        print(f"{name:>10}: {value}")
    print(f"{'cold start':>10}: {_cold_start_ms():.0f} ms for the first SVG of a process "
          "(imports and font loading)")
    print()
    header = ("template", "SVG renders/s", "PNG 512 renders/s", "PNG 128 renders/s",
              "SVG bytes")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for template in TEMPLATES:
        svg_rate = _rate(lambda i, t=template: render_svg(_design(t, i)), args.seconds)
        svg = render_svg(_design(template, 0))
        png_512 = _rate(lambda _i, s=svg: render_png(s, 512), args.seconds)
        png_128 = _rate(lambda _i, s=svg: render_png(s, 128), args.seconds)
        print(f"| {template} | {svg_rate:,.0f} | {png_512:,.1f} | {png_128:,.1f} "
              f"| {len(svg):,} |")


if __name__ == "__main__":
    main()
