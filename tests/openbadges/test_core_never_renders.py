"""The Open Badges core stores finished artwork: no module of it draws or checks images.

Drawing belongs to ``badge_design.artwork`` (in a limited child process, before any
transaction); the core only receives its bytes. The command line (cli.py) is a caller, like
the API and the designer, so it may ask for artwork before calling the core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import app.openbadges

DRAWING = (
    "cairosvg",
    "cairocffi",
    "app.artwork",
    "badge_design.render",
    "badge_design.templates",
    "badge_design.uploads",
    "badge_design.raster",
    "badge_design.svg_sanitize",
    "badge_design.svg_cost",
    "badge_design.worker",
    "badge_design.design",
)
CALLERS = {"cli.py"}


def _imports(source: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", [alias.name for alias in node.names]))
    return found


def test_the_core_imports_nothing_that_draws() -> None:
    package = Path(app.openbadges.__file__).parent
    for source in sorted(package.rglob("*.py")):
        if source.name in CALLERS:
            continue
        for module, names in _imports(source):
            assert not any(module == m or module.startswith(m + ".") for m in DRAWING), (
                f"{source.name} imports {module}"
            )
            if module == "badge_design.artwork":
                assert names == ["Artwork"], f"{source.name} imports {names} from {module}"
