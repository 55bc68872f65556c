"""Every module of the tool imports on its own, first, in a fresh process.

The test session imports the app before any test runs, which hides import cycles that only
bite a process whose first import is, say, ``app.learner.tokens`` (a worker, a script, a
test file collected alone). A probe process preloads the third-party libraries (none of our
modules), then forks once per module: each child imports that module first and reports
whether it could.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, json, os, sys, traceback
OURS = ("app", "lti", "badge_design")
# The libraries the whole app uses, learnt from one child that imports all of it, are loaded
# here once, so each child below imports only our own code.
read, write = os.pipe()
if os.fork() == 0:
    import app.models, app.web
    names = {m for m in list(sys.modules) if m.split(".")[0] not in OURS}
    os.write(write, json.dumps(sorted(names)).encode())
    os._exit(0)
os.close(write)
with os.fdopen(read, "rb") as pipe:
    for library in json.loads(pipe.read()):
        try:
            importlib.import_module(library)
        except Exception:
            pass  # a child imports it again if it must
os.wait()
failed = {}
for name in json.loads(sys.stdin.read()):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            __import__(name)
            code = 0
        except BaseException:
            os.write(write, traceback.format_exc(limit=-3).encode()[-2000:])
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    if status:
        failed[name] = text
print(json.dumps(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in ("app", "lti", "badge_design"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "sandbox" in parts:
                continue  # the sandbox is a separate platform, started by the demo and tests
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="no database involved: checked once, in the SQLite run (about a minute of CPU)",
)
def test_every_module_imports_first_in_a_fresh_process(tmp_path):
    modules = _modules()
    assert "app.learner.tokens" in modules and len(modules) > 150
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Two probes at once: one per core of the machines this runs on.
    probes = [
        subprocess.Popen(
            [sys.executable, "-c", _PROBE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=env,
            text=True,
        )
        for _ in range(2)
    ]
    failed: dict[str, str] = {}
    for probe, share in zip(probes, (modules[0::2], modules[1::2]), strict=True):
        out, err = probe.communicate(json.dumps(share), timeout=600)
        assert probe.returncode == 0, err[-2000:]
        failed |= json.loads(out.strip().splitlines()[-1])
    assert failed == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failed.items())
