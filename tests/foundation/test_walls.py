"""The walls of DESIGN.md, checked on every import statement (function-level ones included).

- ``lti/sandbox/`` is an independent platform: it imports nothing of the tool.
- Nothing in the tool (``app/``, ``lti/``, ``badge_design/``) imports the sandbox.
- ``badge_design/`` turns designs into pictures: it imports neither ``app`` nor ``lti``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ("app", "lti", "badge_design")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports anywhere in its body, relative imports resolved."""
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(paths: list[Path], forbidden: tuple[str, ...], allowed=(),
                root: Path = ROOT) -> list[str]:
    return [f"{path.relative_to(root)} imports {module}"
            for path in paths for module in sorted(imports_of(path, root))
            if any(_within(module, f) for f in forbidden)
            and not any(_within(module, a) for a in allowed)]


def _tool_sources() -> list[Path]:
    sandbox = ROOT / "lti" / "sandbox"
    return [p for p in _sources(*TOOL) if sandbox not in p.parents]


def test_the_sandbox_imports_nothing_of_the_tool():
    paths = _sources("lti/sandbox")
    assert paths
    assert _violations(paths, TOOL, allowed=("lti.sandbox",)) == []


def test_the_tool_never_imports_the_sandbox():
    assert _violations(_tool_sources(), ("lti.sandbox",)) == []


def test_badge_design_imports_neither_app_nor_lti():
    assert _violations(_sources("badge_design"), ("app", "lti")) == []


@pytest.mark.parametrize("source, wall", [
    ("def f():\n    from app.models import Badge\n", ("app",)),
    ("from .sandbox import models\n", ("lti.sandbox",)),
    ("from ..app import models\n", ("app",)),
    ("import lti.sandbox.app as platform\n", ("lti.sandbox",)),
])
def test_the_check_sees_late_and_relative_imports(tmp_path, source, wall):
    # A probe placed as lti/probe.py: its relative imports resolve against the lti package.
    (tmp_path / "lti").mkdir()
    probe = tmp_path / "lti" / "probe.py"
    probe.write_text(source)
    assert _violations([probe], wall, root=tmp_path) != []
