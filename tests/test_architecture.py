"""The house's rules, checked: the import graph has no circle (no module of madoguchi
imports, through any chain, a module that imports it; the contracts in pyproject.toml keep
the layers), and only actions write the audit log."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import grimp
import pytest

pytestmark = pytest.mark.one_pass("sqlite")


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(groups, key=len, reverse=True)


def test_no_module_imports_itself_back():
    assert strongly_connected(grimp.build_graph("madoguchi", cache_dir=None)) == []


def test_the_check_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("m.a", "m.b", "m.c"):
        graph.add_module(module)
    graph.add_import(importer="m.a", imported="m.b")
    graph.add_import(importer="m.b", imported="m.a")
    graph.add_import(importer="m.b", imported="m.c")
    assert strongly_connected(graph) == [["m.a", "m.b"]]


def audit_writers(root: Path) -> list[str]:
    """Modules under ``root`` that import the audit log's ``record`` themselves."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "madoguchi.audit.actions"
                and any(alias.name == "record" for alias in node.names)
            ):
                found.append(str(path.relative_to(root.parent)))
    return found


def test_only_actions_write_the_audit_log():
    """One way to write: every audited change is an action (an ``actions.py``, or a module
    of an ``actions/`` package); views, API handlers, commands and the domain modules call
    one (STYLE.md §2)."""
    package = Path(__file__).resolve().parent.parent / "madoguchi"
    writers = audit_writers(package)
    assert writers and all(p.endswith("/actions.py") or "/actions/" in p for p in writers), writers


def test_the_check_finds_a_view_that_writes(tmp_path: Path):
    views = tmp_path / "madoguchi" / "x" / "views.py"
    views.parent.mkdir(parents=True)
    views.write_text("from madoguchi.audit.actions import anchor, record\n")
    (views.parent / "actions.py").write_text("from madoguchi.audit.actions import verify_chain\n")
    assert audit_writers(tmp_path / "madoguchi") == ["madoguchi/x/views.py"]


ROOT = Path(__file__).resolve().parent.parent
# Modules that stand outside the floors: Django's entry points, which name everything.
OUTSIDE_THE_FLOORS = {"madoguchi.settings", "madoguchi.__main__"}


def floors() -> list[tuple[list[str], bool]]:
    """The layers contract of pyproject.toml, top floor first: each floor's modules, and
    whether they know nothing of each other ("|") or may import each other (":")."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [
        (re.split(r"\s*[|:]\s*", floor.strip()), ":" not in floor) for floor in contract["layers"]
    ]


def test_every_app_and_module_has_a_floor():
    """A new app or top-level module goes into the order (DESIGN §4) when it is added, or the
    layers contract would not see its imports."""
    placed = {module for floor, _independent in floors() for module in floor}
    present = {
        f"madoguchi.{path.stem if path.suffix else path.name}"
        for path in (ROOT / "madoguchi").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert present - OUTSIDE_THE_FLOORS <= placed, sorted(present - OUTSIDE_THE_FLOORS - placed)
    assert placed <= present, sorted(placed - present)


def upward_imports(
    graph: grimp.ImportGraph, order: list[tuple[list[str], bool]]
) -> list[tuple[str, str]]:
    """Direct imports from a floor to a floor above it (the layers contract, checked here
    too so that a broken order fails the tests as well as lint-imports)."""
    height = {module: len(order) - i for i, (floor, _) in enumerate(order) for module in floor}
    apart = {module for floor, independent in order if independent for module in floor}

    def floor_of(module: str) -> str | None:
        return next((m for m in height if module == m or module.startswith(m + ".")), None)

    found = []
    for importer in sorted(graph.modules):
        lower = floor_of(importer)
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            upper = floor_of(imported)
            if not (lower and upper) or lower == upper:
                continue
            beside = height[upper] == height[lower]
            if height[upper] > height[lower] or (beside and lower in apart):
                found.append((importer, imported))
    return found


def test_no_app_imports_one_above_it_or_beside_it():
    assert upward_imports(grimp.build_graph("madoguchi", cache_dir=None), floors()) == []


def test_the_check_finds_an_import_that_runs_back_up():
    graph = grimp.ImportGraph()
    for module in ("m.low.x", "m.high.y", "m.side.z"):
        graph.add_module(module)
    graph.add_import(importer="m.low.x", imported="m.high.y")
    graph.add_import(importer="m.high.y", imported="m.low.x")
    graph.add_import(importer="m.high.y", imported="m.side.z")
    order = [(["m.high", "m.side"], True), (["m.low"], False)]
    assert upward_imports(graph, order) == [("m.high.y", "m.side.z"), ("m.low.x", "m.high.y")]
    assert upward_imports(graph, [(["m.high", "m.side"], False), (["m.low"], False)]) == [
        ("m.low.x", "m.high.y")
    ]


MODULE_LINES = 600


def long_modules(root: Path) -> list[tuple[str, int]]:
    """Modules over MODULE_LINES lines (migrations aside): one topic per module."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MODULE_LINES:
            found.append((str(path.relative_to(root.parent)), lines))
    return found


def test_no_module_over_600_lines():
    assert long_modules(ROOT / "madoguchi") == []


def test_the_check_finds_a_long_module(tmp_path: Path):
    (tmp_path / "madoguchi" / "migrations").mkdir(parents=True)
    (tmp_path / "madoguchi" / "big.py").write_text("x = 1\n" * 601)
    (tmp_path / "madoguchi" / "migrations" / "0001.py").write_text("x = 1\n" * 900)
    assert long_modules(tmp_path / "madoguchi") == [("madoguchi/big.py", 601)]
