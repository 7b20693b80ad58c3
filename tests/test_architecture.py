"""The house's rules, checked: the import graph has no circle (no module of madoguchi
imports, through any chain, a module that imports it; the contracts in pyproject.toml keep
the layers), and only actions write the audit log."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp


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
    assert strongly_connected(grimp.build_graph("madoguchi")) == []


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
    """One way to write: every audited change is an action (an ``actions.py``); views, API
    handlers, commands and the domain modules call one (STYLE.md §2)."""
    package = Path(__file__).resolve().parent.parent / "madoguchi"
    writers = audit_writers(package)
    assert writers and all(p.endswith("/actions.py") for p in writers), writers


def test_the_check_finds_a_view_that_writes(tmp_path: Path):
    views = tmp_path / "madoguchi" / "x" / "views.py"
    views.parent.mkdir(parents=True)
    views.write_text("from madoguchi.audit.actions import anchor, record\n")
    (views.parent / "actions.py").write_text("from madoguchi.audit.actions import verify_chain\n")
    assert audit_writers(tmp_path / "madoguchi") == ["madoguchi/x/views.py"]
