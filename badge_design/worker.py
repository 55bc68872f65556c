"""Run artwork work in a child process with CPU-time and memory limits.

The sanitizer bounds what it can count (elements, ``<use>`` and marker repeats, masks, dash
segments), but a renderer has more ways to be slow than any checker can list, and one bad
upload must not take a web worker's CPU for minutes or its memory into the gigabytes. So
every render runs in a child process that the kernel stops when it has used its share:
``RLIMIT_CPU`` (CPU seconds; the child is killed past it) and ``RLIMIT_AS`` (address space;
allocations past it fail). The parent also stops waiting after a wall-clock deadline.

Children come from a *fork server* (a clean process started once, with the renderer already
imported), not from the web process itself: forking a multi-threaded web worker can copy a
lock held by another thread and deadlock the child, and starting a fresh interpreter for
every render would cost far more than the render.
"""

from __future__ import annotations

import math
import multiprocessing
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

try:
    import resource
except ImportError:  # pragma: no cover - not on Windows; limits then only by wall clock
    resource = None  # type: ignore[assignment]

#: Modules every child needs; the fork server imports them once, so a child starts warm
#: (the drawing libraries too: badge_design imports them only where it draws).
_PRELOAD = [
    "badge_design.artwork",
    "cairosvg.surface",
    "PIL.Image",
    "PIL.ImageCms",
    "PIL.ImageOps",
    "uharfbuzz",
    "fontTools.ttLib",
    "fontTools.pens.recordingPen",
    "bidi.algorithm",
]
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one piece of work may use."""

    #: CPU seconds; the kernel stops the child past it.
    cpu_seconds: int = 8
    #: Address space the child may add to what it starts with (the renderer's libraries).
    #: Address space, not resident memory: a renderer reserves more than it touches (a mask
    #: is a whole surface of its own), so this is set well above what badges use.
    memory_bytes: int = 1024 * _MIB
    #: Wall-clock seconds the parent waits (a loaded machine is slower than CPU time says).
    wall_seconds: float = 30.0


DEFAULT_LIMITS = Limits()


class LimitExceeded(Exception):
    """The work was stopped for using more than its limits; ``resource`` says which."""

    def __init__(self, resource_name: str, limits: Limits) -> None:
        self.resource = resource_name
        self.limits = limits
        super().__init__(f"stopped at its {resource_name} limit")


class WorkerError(Exception):
    """The child raised an exception that could not be sent back as itself."""


@dataclass(frozen=True)
class Outcome:
    """What a child returned, and what it cost (for benchmarks and logs)."""

    value: Any
    cpu_seconds: float
    peak_rss_bytes: int


class _CpuLimit(Exception):
    """Raised inside the child by SIGXCPU (the soft CPU limit), while Python code runs."""


_cpu_limit_reached = False


def _on_cpu_limit(signum: int, frame: object) -> None:
    global _cpu_limit_reached
    # Remembered as well as raised: inside a C callback (cairo reading an image) the
    # exception is swallowed and turns into an unrelated "could not be drawn" error.
    _cpu_limit_reached = True
    raise _CpuLimit


def _address_space() -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _apply_limits(limits: Limits) -> None:
    if resource is None:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(used.ru_utime + used.ru_stime) + limits.cpu_seconds
    _, hard_cpu = resource.getrlimit(resource.RLIMIT_CPU)
    # The soft limit sends SIGXCPU (turned into an exception when Python code is running);
    # one second later the hard limit kills the child even inside a long C call.
    hard = soft + 1 if hard_cpu == resource.RLIM_INFINITY else min(soft + 1, hard_cpu)
    resource.setrlimit(resource.RLIMIT_CPU, (min(soft, hard), hard))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    base = _address_space()
    if base is not None:
        resource.setrlimit(resource.RLIMIT_AS, (base + limits.memory_bytes,) * 2)


def _peak_rss() -> int:
    if resource is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _cpu_used() -> float:
    if resource is None:
        return 0.0
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _child(
    conn: Connection, function: Callable[..., Any], args: tuple[Any, ...], limits: Limits
) -> None:
    """Runs in the child: limit itself, do the work, send back (kind, payload, cost)."""
    _apply_limits(limits)
    try:
        message: tuple[str, Any] = ("ok", function(*args))
    except _CpuLimit:
        message = ("limit", "CPU time")
    except MemoryError:
        message = ("limit", "memory")
    except Exception as exc:  # sent back to be raised in the parent
        message = ("error", exc)
    if _cpu_limit_reached:
        message = ("limit", "CPU time")
    try:
        conn.send((*message, _cpu_used(), _peak_rss()))
    except Exception as exc:  # an exception that does not pickle: send its words
        conn.send(("error", WorkerError(f"{type(exc).__name__}: {exc}"), 0.0, 0))
    finally:
        conn.close()


_context_lock = threading.Lock()
_context: Any = None


def _fork_server() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
    return _context


def run_limited(
    function: Callable[..., Any], *args: Any, limits: Limits = DEFAULT_LIMITS
) -> Outcome:
    """Call ``function(*args)`` in a child process held to ``limits``.

    ``function`` must be importable by name (a module-level function) and its arguments and
    result picklable. Exceptions it raises are raised here; exceeding a limit raises
    :class:`LimitExceeded`.
    """
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, args, limits), daemon=True)
    process.start()
    sender.close()
    try:
        ready = wait([receiver, process.sentinel], timeout=limits.wall_seconds)
        if not ready:
            raise LimitExceeded("time", limits)
        try:
            kind, payload, cpu, peak = receiver.recv()
        except EOFError:
            # Gone without a word: the kernel's CPU limit (SIGXCPU inside a long C call, then
            # SIGKILL), or a crash.
            process.join(limits.wall_seconds)  # it closed its end: it is exiting
            code = process.exitcode
            if code in (-signal.SIGKILL, -signal.SIGXCPU):
                raise LimitExceeded("CPU time", limits) from None
            if code in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT):
                # cairo and pixman do not all check malloc: at the address-space limit a
                # failed allocation ends in one of these signals rather than a MemoryError.
                raise LimitExceeded("memory", limits) from None
            raise WorkerError(f"the child process ended with exit code {code}") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(limits.wall_seconds)
        if process.exitcode is not None:
            process.close()
    if kind == "ok":
        return Outcome(payload, cpu, peak)
    if kind == "limit":
        raise LimitExceeded(payload, limits)
    raise payload
