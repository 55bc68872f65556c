"""Machine facts printed beside every benchmark table (the machine is shared and noisy)."""

from __future__ import annotations

import os
import platform
import sys


def machine_facts() -> str:
    """One paragraph: CPU model, cores, memory, OS and Python."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line.split()[1] for line in fh if line.startswith("MemTotal")))
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    return (
        f"machine: {cpu}, {os.cpu_count()} cores{mem}; {platform.system()} "
        f"{platform.release()}; Python {sys.version.split()[0]}; load average {load} "
        "(shared machine: compare figures within one run)"
    )
