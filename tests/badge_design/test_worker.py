"""The limited child process: CPU time, memory and wall clock are enforced, errors come back."""

from __future__ import annotations

import time

import pytest

from badge_design.upload_errors import UploadError
from badge_design.worker import LimitExceeded, Limits, run_limited

_MIB = 1024 * 1024


def _spin() -> None:
    while True:  # Python code: stopped by SIGXCPU at the soft limit
        pass


def _spin_in_c() -> int:
    return sum(range(10**12))  # one C call: stopped by the kernel at the hard limit


def _spin_and_swallow() -> str:
    # What a C callback does with an exception raised in it (cairo reading an image): it
    # is swallowed, and the work ends with an unrelated error or none.
    try:
        while True:
            pass
    except Exception:
        return "carried on"


def _allocate(size: int) -> int:
    return len(bytearray(size))


def _sleep() -> None:
    time.sleep(30)


def _refuse() -> None:
    raise UploadError("a readable reason")


def _timed(function, *args, limits: Limits) -> tuple[LimitExceeded, float]:
    start = time.monotonic()
    with pytest.raises(LimitExceeded) as caught:
        run_limited(function, *args, limits=limits)
    return caught.value, time.monotonic() - start


@pytest.mark.parametrize("function", [_spin, _spin_in_c, _spin_and_swallow])
def test_cpu_time_is_limited(function) -> None:
    # The wall clock is generous (the machine is shared): what must stop the child is the
    # kernel's CPU limit, long before the parent's deadline.
    stopped, elapsed = _timed(function, limits=Limits(cpu_seconds=1, wall_seconds=60))
    assert stopped.resource == "CPU time"
    assert elapsed < 30


def test_memory_is_limited() -> None:
    stopped, elapsed = _timed(_allocate, 512 * _MIB, limits=Limits(memory_bytes=64 * _MIB))
    assert stopped.resource == "memory"
    assert elapsed < 10


def test_wall_clock_is_limited() -> None:
    stopped, elapsed = _timed(_sleep, limits=Limits(wall_seconds=1))
    assert stopped.resource == "time"
    assert elapsed < 5


def test_result_and_its_cost_come_back() -> None:
    outcome = run_limited(_allocate, 32 * _MIB, limits=Limits(memory_bytes=256 * _MIB))
    assert outcome.value == 32 * _MIB
    assert 32 * _MIB <= outcome.peak_rss_bytes < 512 * _MIB


def test_exceptions_are_raised_in_the_caller() -> None:
    with pytest.raises(UploadError, match="a readable reason"):
        run_limited(_refuse)
