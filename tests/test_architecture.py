"""The floor plan holds: packages import only downwards, SQL lives in store/, functions and modules stay small.

Read from the source with ``ast`` (imports inside functions count too), so a back edge fails here
the day it is written, not in a review months later.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What each package may import from Athar's own packages. ``metrics.run`` alone reaches the store.
#: ``settings`` (the declared ``ATHAR_*`` environment settings, standard library only) is below all.
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "i18n": {"settings"},
    "framework": {"settings", "i18n"},
    "ingest": {"settings", "i18n", "framework", "store"},
    "store": {"settings", "i18n", "framework"},
    "metrics": {"settings", "i18n", "framework"},
    "report": {"settings", "i18n", "framework", "store", "metrics"},
    "notify": {"settings", "i18n", "framework", "ingest", "store"},
    "dashboard": {"settings", "i18n", "framework", "ingest", "store", "metrics", "report", "notify"},
    "server": {"settings", "i18n", "framework", "ingest", "store", "metrics"},
}
#: ``store/cli_remind.py`` composes reminders (template, annotated copy) for ``python -m store remind``.
EXCEPTIONS = {("metrics/run.py", "store"), ("store/cli_remind.py", "notify")}
PACKAGES = set(ALLOWED)
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 800
_SQL = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|VIEW|INDEX))\b", re.I)


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if ".venv" not in p.parts)


def _imported_packages(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & PACKAGES


def _parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_package_imports_from_a_package_above_it() -> None:
    back_edges = []
    for path in _modules():
        package = path.relative_to(ROOT).parts[0]
        relative = path.relative_to(ROOT).as_posix()
        for imported in _imported_packages(_parsed(path)) - {package}:
            if imported not in ALLOWED[package] and (relative, imported) not in EXCEPTIONS:
                back_edges.append(f"{relative} imports {imported}")
    assert back_edges == []


def test_the_import_rule_catches_a_back_edge() -> None:
    tree = ast.parse("def f():\n    from dashboard.exports import to_csv\n")
    assert "dashboard" in _imported_packages(tree) and "dashboard" not in ALLOWED["store"]


def _sql_strings(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value)
    ]


def test_no_sql_text_outside_store() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}"
        for path in _modules()
        if path.relative_to(ROOT).parts[0] != "store"
        for line in _sql_strings(_parsed(path))
    ]
    assert found == []


def test_no_production_function_is_longer_than_the_limit() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


@pytest.mark.parametrize("limit", [MAX_MODULE_LINES])
def test_no_module_is_longer_than_the_limit(limit: int) -> None:
    long = [
        f"{path.relative_to(ROOT).as_posix()} ({n} lines)"
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > limit
    ]
    assert long == []
