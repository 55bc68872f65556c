"""badge_design turns designs into pictures and bytes: it imports neither app/ nor lti/."""

from __future__ import annotations

import ast
from pathlib import Path

import badge_design


def test_badge_design_imports_neither_app_nor_lti() -> None:
    package = Path(badge_design.__file__).parent
    for source in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("app", "lti"), f"{source.name} imports {name}"
