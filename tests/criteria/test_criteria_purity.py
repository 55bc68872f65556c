"""The engine stays pure: no module in app/criteria imports Flask, the database or I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import app.criteria

FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "app.extensions", "app.models",
             "requests", "huey", "os", "socket", "subprocess")  # fmt: skip


def test_no_io_or_framework_imports():
    package = Path(app.criteria.__file__).parent
    for source in sorted(package.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), (
                    f"{source.name} imports {name}"
                )
