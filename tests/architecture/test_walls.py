"""The walls of DESIGN.md, checked on every import statement (function-level ones included).

- ``lti/sandbox/`` is an independent platform: it imports nothing of the tool.
- Nothing in the tool (``app/``, ``lti/``, ``badge_design/``) imports the sandbox.
- ``badge_design/`` turns designs into pictures: it imports neither ``app`` nor ``lti``.
- The Open Badges core (``app/openbadges/``) imports neither the audit trail nor webhooks:
  what follows an award is announced by ``app.awards.effects`` (DESIGN.md point 8).
- ``lti/`` (outside the sandbox) is the LTI protocol: of the application it imports only the
  models, settings, secrets, the launch session and the infrastructure in :data:`LTI_MAY_USE`.
  What a launch or a registration means to the product (``app.launch``,
  ``app.registrations``) calls ``lti``, never the other way round.
- No import cycles among the top-level imports of ``app/`` and ``lti/`` modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ("app", "lti", "badge_design")
# What lti/ may import of the application. Besides the models (every area's ``models`` module
# is re-exported by ``app.models``, so lti/ names them through it), settings, secrets and the
# launch session: the database and cache extensions and the lock retry they need, the snapshot
# of registrations the launch reads (a cache of models), and the one guarded HTTP client that
# every outside URL goes through (DESIGN.md point 9: infrastructure, not a product area).
LTI_MAY_USE = (
    "app.models",
    "app.settings",
    "app.secret_box",
    "app.launch_session",
    "app.extensions",
    "app.database",
    "app.registration_cache",
    "app.outbound",
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.Import | ast.ImportFrom, package: list[str]) -> set[str]:
    """The modules (and, for ``from m import n``, the candidates ``m.n``) one statement names."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = package[: len(package) - node.level + 1] if node.level else []
    module = ".".join([*base, *(node.module.split(".") if node.module else [])])
    return {module, *(f"{module}.{alias.name}" for alias in node.names)}


def _package(path: Path, root: Path) -> list[str]:
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    return package


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports anywhere in its body, relative imports resolved."""
    package = _package(path, root)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= _imported(node, package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING"


def top_level_imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """What importing ``path`` imports: module-level statements (inside ``if``/``try`` too),
    not those in functions, which run later, nor those only a type checker reads."""
    package = _package(path, root)
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_imported(node, package))
            elif isinstance(node, ast.If) and _type_checking(node):
                continue
            elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                for field in ("body", "orelse", "finalbody"):
                    visit([n for n in getattr(node, field, []) if isinstance(n, ast.stmt)])
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(), str(path)).body)
    return found


def import_cycles(paths: list[Path], root: Path = ROOT) -> list[list[str]]:
    """Groups of modules (strongly connected, more than one) that import each other through
    their top-level imports, among ``paths``."""
    modules = {_module_name(p, root): p for p in paths}

    def resolve(name: str) -> str | None:
        # ``from app import audit`` names the module app.audit; ``from app.x import f``, app.x.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {
        m: {
            t
            for name in top_level_imports_of(p, root)
            if (t := resolve(name)) != m and t is not None
        }
        for m, p in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return cycles


def _sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(
    paths: list[Path], forbidden: tuple[str, ...], allowed=(), root: Path = ROOT
) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in paths
        for module in sorted(imports_of(path, root))
        if any(_within(module, f) for f in forbidden)
        and not any(_within(module, a) for a in allowed)
    ]


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


def test_the_open_badges_core_imports_neither_audit_nor_webhooks():
    paths = _sources("app/openbadges")
    assert paths
    assert _violations(paths, ("app.audit", "app.webhooks")) == []


def _lti_sources(root: Path = ROOT) -> list[Path]:
    sandbox = root / "lti" / "sandbox"
    return [p for p in sorted((root / "lti").rglob("*.py")) if sandbox not in p.parents]


def modules_named_by(path: Path, root: Path = ROOT) -> set[str]:
    """The module each import statement of ``path`` loads, anywhere in its body: for
    ``from m import n``, ``m.n`` when that is a module (a file or package under ``root``),
    else ``m`` (``n`` is a name defined in ``m``)."""
    package = _package(path, root)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module, *candidates = sorted(_imported(node, package), key=len)
            for name in candidates:
                where = root.joinpath(*name.split("."))
                is_module = where.with_suffix(".py").exists() or (where / "__init__.py").exists()
                found.add(name if is_module else module)
    return found


def _lti_violations(root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in _lti_sources(root)
        for module in sorted(modules_named_by(path, root))
        if _within(module, "app") and not any(_within(module, a) for a in LTI_MAY_USE)
    ]


def test_lti_imports_of_the_application_only_models_settings_and_infrastructure():
    assert _lti_sources()
    assert _lti_violations() == []


@pytest.mark.parametrize(
    "source",
    [
        "from app.course.operations import record_launch\n",
        "def f():\n    from app.grades.jobs import sync_on_launch\n",
        "from app import audit\n",
        "from app import models, audit\n",
        "import app.admin.operations\n",
        "from ..app.security.limits import rate_limit\n",
    ],
)
def test_the_lti_wall_sees_a_reach_into_the_application(tmp_path, source):
    for package in ("app", "app/models", "app/outbound", "app/audit", "lti", "lti/sandbox"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "lti" / "allowed.py").write_text(
        "from app.models import Registration\nfrom app import outbound\n"
    )
    (tmp_path / "lti" / "sandbox" / "own.py").write_text("from app import audit\n")
    (tmp_path / "lti" / "probe.py").write_text(source)
    found = _lti_violations(tmp_path)
    assert found and all(line.startswith("lti/probe.py imports app") for line in found)


def test_no_import_cycles_among_top_level_imports():
    paths = [p for p in _tool_sources() if p.parts[len(ROOT.parts)] in ("app", "lti")]
    assert import_cycles(paths) == []


def test_the_cycle_check_sees_a_cycle_and_ignores_late_and_type_only_imports(tmp_path):
    (tmp_path / "app").mkdir()
    files = {
        "__init__.py": "",
        "a.py": "from app import b\n",
        "b.py": "try:\n    from app.c import f\nexcept ImportError:\n    pass\n",
        "c.py": "from . import a\n",
        "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import e\n",
        "e.py": "def g():\n    from app import d\n",
    }
    for name, source in files.items():
        (tmp_path / "app" / name).write_text(source)
    paths = sorted((tmp_path / "app").glob("*.py"))
    assert import_cycles(paths, root=tmp_path) == [["app.a", "app.b", "app.c"]]


@pytest.mark.parametrize(
    "source, wall",
    [
        ("def f():\n    from app.models import Badge\n", ("app",)),
        ("from .sandbox import models\n", ("lti.sandbox",)),
        ("from ..app import models\n", ("app",)),
        ("import lti.sandbox.app as platform\n", ("lti.sandbox",)),
        ("def f():\n    from app import audit\n", ("app.audit",)),
        ("def f():\n    from app.webhooks.tasks import emit\n", ("app.webhooks",)),
    ],
)
def test_the_check_sees_late_and_relative_imports(tmp_path, source, wall):
    # A probe placed as lti/probe.py: its relative imports resolve against the lti package.
    (tmp_path / "lti").mkdir()
    probe = tmp_path / "lti" / "probe.py"
    probe.write_text(source)
    assert _violations([probe], wall, root=tmp_path) != []
