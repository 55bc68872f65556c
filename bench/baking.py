"""Baked PNGs per second: splicing one iTXt chunk into a cached 512 px badge PNG.

Run: ``.venv/bin/python bench/baking.py [--count N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()

    from badge_design.baking import OB3_KEYWORD, bake_png, bake_svg
    from badge_design.design import validate_design
    from badge_design.render import render_png
    from badge_design.templates import render_svg

    svg = render_svg(validate_design({"title": "Benchmark"}))
    png = render_png(svg)
    # A realistic payload: a signed OB 3.0 credential is about 3 KB of JSON.
    credential = json.dumps(
        {"id": "https://badges.example.org/ob/v3/credentials/x", "padding": "x" * 3000}
    )
    results = []
    for name, bake, image in (("PNG", bake_png, png), ("SVG", bake_svg, svg)):
        start = time.perf_counter()
        for _ in range(args.count):
            bake(image, OB3_KEYWORD, credential)
        results.append((name, args.count / (time.perf_counter() - start), len(image)))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    for name, rate, size in results:
        print(f"baked {name}s/s (1 core, {size:,} byte artwork, 3 KB credential): {rate:,.0f}")


if __name__ == "__main__":
    main()
