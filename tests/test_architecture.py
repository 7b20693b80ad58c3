"""The import graph has no circle: no module of madoguchi imports, through any chain, a
module that imports it (the contracts in pyproject.toml keep the layers)."""

from __future__ import annotations

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
