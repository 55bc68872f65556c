"""Benchmark the hostile SVG corpus: what each file costs to check and draw, worst case first.

Run from the repository root:

    .venv/bin/python bench/render_hostile.py [--before OLD_TREE] [--cap SECONDS]

Each file of ``tests/badge_design/hostile_corpus.py`` goes through the upload path the app
uses (sanitize, then draw once, in the limited child process of ``badge_design.worker``);
the table gives the wall time seen by the caller, the child's CPU seconds and its peak
resident memory, and what became of the file. A child stopped by the kernel cannot report,
so its memory shows as "n/a" (it was held under the limit the outcome names). The
baseline, measured in the same run, is a plain badge design drawn through the same child.

``--before`` measures the same files against another checkout's ``process_upload`` (for
example ``git archive 3ae8b5a | tar -x -C /tmp/before``), each in a fresh interpreter with no
limits but a wall-clock cap, reading CPU and peak memory from the kernel (``wait4``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._machine import machine_facts  # noqa: E402
from tests.badge_design.hostile_corpus import CORPUS  # noqa: E402

_MIB = 1024 * 1024


def _upload(name: str) -> str:
    """Runs in the limited child: check and draw one file; say what became of it."""
    from badge_design.upload_errors import UploadError
    from badge_design.uploads import process_upload

    try:
        processed = process_upload(f"{name}.svg", CORPUS[name]())
    except UploadError as exc:
        return f"refused: {exc}"
    return "drawn" + (f" ({processed.warnings[0]})" if processed.warnings else "")


def _plain_design(_name: str) -> str:
    from badge_design.design import validate_design
    from badge_design.render import render_pngs
    from badge_design.templates import render_svg

    render_pngs(render_svg(validate_design({"title": "Baseline"})))
    return "drawn"


def _limited(function, name: str) -> tuple[float, float | None, int | None, str]:
    """(wall s, CPU s, peak RSS bytes, outcome) through the app's limited child."""
    from badge_design.worker import DEFAULT_LIMITS, LimitExceeded, run_limited

    start = time.perf_counter()
    try:
        outcome = run_limited(function, name)
    except LimitExceeded as exc:
        return (
            time.perf_counter() - start,
            None,
            None,
            f"stopped at the {exc.resource} limit ({_limit(exc.resource, DEFAULT_LIMITS)})",
        )
    return time.perf_counter() - start, outcome.cpu_seconds, outcome.peak_rss_bytes, outcome.value


def _limit(resource: str, limits) -> str:
    if resource == "memory":
        return f"{limits.memory_bytes // _MIB} MB address space"
    if resource == "CPU time":
        return f"{limits.cpu_seconds} s CPU"
    return f"{limits.wall_seconds:g} s wall"


# The child reports its own peak (VmHWM): the kernel's ru_maxrss for a child can carry the
# parent's size from before the exec.
_BEFORE = """
import sys
sys.path.insert(0, {tree!r})
from badge_design.uploads import process_upload
try:
    process_upload("x.svg", sys.stdin.buffer.read())
    outcome = "drawn"
except Exception as exc:
    outcome = f"refused: {{exc}}"
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(peak, outcome)
"""


def _before(tree: Path, data: bytes, cap: float) -> tuple[float, float, int | None, str]:
    """(wall s, CPU s, peak RSS bytes, outcome) of another tree's process_upload, unlimited.

    A file still running at ``cap`` is killed; its peak is then unknown.
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _BEFORE.format(tree=str(tree))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tree,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(data)
    process.stdin.close()
    peak: int | None = None
    while True:
        pid, _status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            kilobytes, _, outcome = process.stdout.read().decode().strip().partition(" ")
            peak = int(kilobytes) * 1024 if kilobytes.isdigit() else None
            break
        if time.perf_counter() - start > cap:
            process.kill()
            _pid, _status, usage = os.wait4(process.pid, 0)
            outcome = f"still running after {cap:g} s (killed)"
            break
        time.sleep(0.02)
    process.stdout.close()
    process.wait()  # already reaped by wait4: this only lets Popen know
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, peak, outcome


def _row(name: str, size: int, figures: tuple[float, float | None, int | None, str]) -> str:
    wall, cpu, peak, outcome = figures
    cpu_text = f"{cpu:6.2f}" if cpu is not None else "     -"
    peak_text = f"{peak / _MIB:7.0f}" if peak is not None else "    n/a"
    return (
        f"| {name:32} | {size / 1024:6.1f} | {wall:6.2f} | {cpu_text} | {peak_text} | "
        f"{outcome[:90]} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure as well")
    parser.add_argument(
        "--cap",
        type=float,
        default=120.0,
        help="wall-clock cap per file for --before (default 120 s)",
    )
    args = parser.parse_args()

    header = "| file | kB | wall s | CPU s | peak MB | outcome |\n|---|---:|---:|---:|---:|---|"
    rows = []
    _limited(_plain_design, "warm-up")  # starts the fork server: not part of any figure
    baseline = _limited(_plain_design, "baseline")
    results = {name: _limited(_upload, name) for name in CORPUS}
    worst = max(results, key=lambda name: results[name][0])
    rows.append(_row("baseline: plain badge design", 0, baseline))
    for name in sorted(results, key=lambda name: -results[name][0]):
        rows.append(_row(name, len(CORPUS[name]()), results[name]))
    print("This tree (sanitizer bounds + limited child, one render):")
    print(header)
    print("\n".join(rows))
    peaks = [figures[2] for figures in results.values() if figures[2] is not None]
    print(
        f"\nworst case: {worst} {results[worst][0]:.2f} s wall; highest reported peak "
        f"{max(peaks) / _MIB:.0f} MB; baseline {baseline[0]:.2f} s, "
        f"{(baseline[2] or 0) / _MIB:.0f} MB"
    )

    if args.before:
        print(f"\nBefore ({args.before}, in-process, no limits, cap {args.cap:g} s):")
        print(header)
        for name in CORPUS:
            data = CORPUS[name]()
            print(_row(name, len(data), _before(args.before, data, args.cap)), flush=True)
    print()
    print(machine_facts())


if __name__ == "__main__":
    main()
