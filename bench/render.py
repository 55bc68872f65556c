"""Benchmark badge artwork rendering: SVG per template, and SVG to PNG at 512 and 128 px.

Run from the repository root:

    .venv/bin/python bench/render.py [--seconds 1.0]

"SVG renders/s" draws a *new* design each time (the title changes every call), so no
per-design result is reused; only what every render shares stays warm (the font files and
glyph outlines, loaded once per process). The very first render of a process, which loads
the fonts, is measured separately in a fresh interpreter ("process cold start").
The script table draws titles in each bundled script (shaped by HarfBuzz, a new title every
call so no shaped line is reused); its cold start is a fresh interpreter's first render of
that script, which loads (and unpacks) that script's font.
PNG figures rasterise a pre-rendered SVG with the locked-down cairosvg settings the app uses.
"Cached fetches/s" is what serving the artwork costs once it is saved: GET of the badge's
public PNG URL (``/ob/badges/<id>/image/<version>.png``) through the Flask test client, on a
throw-away SQLite database, with the badge saved the way the designer saves it (rendered
once at save time), served from the per-process image cache. "uncached" empties that cache
before every request, so each fetch reads the stored bytes from the database. "304/s" is a
cached request revalidated with ``If-None-Match``, as browsers and CDNs do. None renders.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    return validate_design(
        {
            "template": template,
            "title": f"Molecular Biology {i}",
            "subtitle": "Level 2 · 2025",
            "tier": "gold",
            "icon": {"name": "dna", "color": "#ffffff"},
            "fill": {"type": "gradient", "color": "#1e3a8a", "color2": "#2563eb"},
        }
    )


#: A title per bundled script (and one mixing directions); a number makes each call new.
SCRIPT_TITLES = {
    "Latin": "Molecular Biology",
    "Arabic": "شارة التميز",
    "Hebrew": "עבודת צוות",
    "Hindi": "प्रमाणपत्र विजेता",
    "Japanese": "日本語の達人",
    "Latin + Arabic": "Python للمبتدئين",
}


def _script_design(title: str, i: int):
    return validate_design({"title": f"{title} {i}" if i >= 0 else title, "subtitle": "2026"})


def _cold_start_ms(title: str = "Cold start") -> float:
    code = (
        "import sys, time; t=time.perf_counter();"
        "from badge_design.design import validate_design;"
        "from badge_design.templates import render_svg;"
        "render_svg(validate_design({'title': sys.argv[1]}));"
        "print((time.perf_counter()-t)*1000)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, title],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return float(out.stdout.strip())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@contextlib.contextmanager
def _served_badges() -> Iterator[tuple[Any, dict[str, str]]]:
    """A throw-away app (SQLite, built by the migrations) with one saved badge per template.

    Yields the Flask test client and each template's public PNG path.
    """
    tmp = Path(tempfile.mkdtemp(prefix="bench-render-"))
    # Settings come from the environment when the app is created: point it at the temp dir.
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.pop("REDIS_URL", None)
    from flask_migrate import upgrade

    from app import create_app
    from app.artwork import badge_artwork
    from app.openbadges import badges, issuers, urls
    from badge_design.design import design_to_dict

    app = create_app(
        {"PUBLIC_BASE_URL": "https://badges.example.org", "CACHE_DIR": str(tmp / "cache")}
    )
    with app.app_context():
        upgrade()
        issuer = issuers.create_issuer("Bench U", "https://bench.example", "b@bench.example")
        paths = {}
        for template in TEMPLATES:
            badge = badges.create_badge(
                issuer,
                f"Bench {template}",
                "A benchmark badge.",
                "Run the bench.",
                artwork=badge_artwork(template, design=design_to_dict(_design(template, 0))),
            )
            paths[template] = (
                urls.BADGE_IMAGE.replace("<public_id>", badge.public_id)
                .replace("<int:version>", str(badge.image_version))
                .replace("<ext>", "png")
            )
    yield app.test_client(), paths


def _fetch_rates(client: Any, path: str, seconds: float) -> tuple[float, float, float, int]:
    """(cached fetches/s, uncached fetches/s, 304 revalidations/s, PNG bytes) of one image."""
    from app.openbadges import image_cache

    first = client.get(path)
    assert first.status_code == 200 and first.mimetype == "image/png", first.status
    etag = first.headers["ETag"]

    def fetch(_i: int) -> None:
        response = client.get(path)
        assert response.status_code == 200
        response.close()

    def fetch_uncached(_i: int) -> None:
        image_cache.clear()
        fetch(_i)

    def revalidate(_i: int) -> None:
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304
        response.close()

    uncached = _rate(fetch_uncached, seconds)
    return _rate(fetch, seconds), uncached, _rate(revalidate, seconds), len(first.data)


def machine_facts() -> list[tuple[str, str]]:
    """What the figures depend on: CPU, cores, Python and library versions."""
    import cairocffi
    import cairosvg
    import fontTools
    import PIL
    import uharfbuzz

    return [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("cairosvg", cairosvg.__version__),
        ("cairo", cairocffi.cairo_version_string()),
        ("Pillow", PIL.__version__),
        ("fontTools", fontTools.version),
        ("HarfBuzz", f"{uharfbuzz.__version__} (harfbuzz {uharfbuzz.version_string()})"),
    ]


def main() -> None:
    """Print machine facts and a per-template table of render rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=1.0, help="time spent measuring each figure (default 1.0)"
    )
    args = parser.parse_args()

    for name, value in machine_facts():
        print(f"{name:>10}: {value}")
    print(
        f"{'cold start':>10}: {_cold_start_ms():.0f} ms for the first SVG of a process "
        "(imports and font loading)"
    )
    print()
    header = (
        "template",
        "SVG renders/s",
        "PNG 512 renders/s",
        "PNG 128 renders/s",
        "SVG bytes",
        "cached fetches/s (PNG 512)",
        "uncached fetches/s",
        "304/s",
        "PNG bytes",
    )
    # Build the served app first, so its migration logs do not land inside the table.
    with _served_badges() as (client, paths):
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for template in TEMPLATES:
            svg_rate = _rate(lambda i, t=template: render_svg(_design(t, i)), args.seconds)
            svg = render_svg(_design(template, 0))
            png_512 = _rate(lambda _i, s=svg: render_png(s, 512), args.seconds)
            png_128 = _rate(lambda _i, s=svg: render_png(s, 128), args.seconds)
            cached, uncached, revalidated, png_bytes = _fetch_rates(
                client, paths[template], args.seconds
            )
            print(
                f"| {template} | {svg_rate:,.0f} | {png_512:,.1f} | {png_128:,.1f} "
                f"| {len(svg):,} | {cached:,.0f} | {uncached:,.0f} | {revalidated:,.0f} "
                f"| {png_bytes:,} |"
            )
    print()
    print("| script | title | SVG renders/s | PNG 512 renders/s | cold start ms | SVG bytes |")
    print("|---|---|---|---|---|---|")
    for script, title in SCRIPT_TITLES.items():
        svg_rate = _rate(lambda i, t=title: render_svg(_script_design(t, i)), args.seconds)
        svg = render_svg(_script_design(title, -1))
        png_512 = _rate(lambda _i, s=svg: render_png(s, 512), args.seconds)
        print(
            f"| {script} | {title} | {svg_rate:,.0f} | {png_512:,.1f} "
            f"| {_cold_start_ms(title):.0f} | {len(svg):,} |"
        )


if __name__ == "__main__":
    main()
