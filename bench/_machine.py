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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process ids of ``pid``'s children, their children, and so on (alive now)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class CpuMeter:
    """CPU seconds used while in the block by this process and its descendants (worker
    processes), apart from the processes in ``apart`` (e.g. the sandbox LMS) and theirs."""

    def __init__(self, apart: tuple[int, ...] = ()) -> None:
        self.apart = apart

    def _read(self) -> tuple[dict[int, float], dict[int, float]]:
        others = {p for a in self.apart for p in (a, *descendants(a))}
        own = [os.getpid(), *(p for p in descendants(os.getpid()) if p not in others)]
        return {p: cpu_seconds(p) for p in own}, {p: cpu_seconds(p) for p in others}

    def __enter__(self) -> CpuMeter:
        self._own, self._others = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        own, others = self._read()
        # A worker started inside the block counts from zero; one that ended is not seen.
        self.tool = sum(v - self._own.get(p, 0.0) for p, v in own.items())
        self.platform = sum(v - self._others.get(p, 0.0) for p, v in others.items())
