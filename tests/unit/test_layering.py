"""The package map holds (DESIGN.md §1): `audio/`, `vision/` and `models/` are libraries
that never import `assistant/` or `gui/`; nothing outside `gui/` imports PySide6; and no
two modules import each other, even through others or inside a function (only imports
under `if TYPE_CHECKING:` are left out: they never run). Read from the source, so a
lazy import cannot hide a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "audio", "vision", "models", "gui")
LIBRARIES = ("audio", "vision", "models")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every imported name (absolute), skipping `if TYPE_CHECKING:` blocks."""
    names: list[str] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{a.name}" for a in node.names]
        stack.extend(ast.iter_child_nodes(node))
    return names


def _ours(name: str) -> str | None:
    """The module of ours that `name` is (or is in), else None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    deps: dict[str, set[str]] = {}
    external: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        imported = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        deps[name] = {m for m in map(_ours, imported) if m and m != name}
        external[name] = imported
    return deps, external


GRAPH, IMPORTS = _graph()


def test_the_libraries_never_import_the_core_or_the_gui():
    wrong = sorted((m, d) for m, ds in GRAPH.items() if m.split(".")[0] in LIBRARIES
                   for d in ds if d.split(".")[0] in ("assistant", "gui"))
    assert wrong == []


def test_only_the_gui_imports_qt_or_the_gui():
    qt = sorted(m for m, names in IMPORTS.items() if not m.startswith("gui")
                and any(n.split(".")[0] == "PySide6" for n in names))
    gui = sorted((m, d) for m, ds in GRAPH.items() if not m.startswith("gui")
                 for d in ds if d.startswith("gui") and not m.startswith("assistant.cli."))
    assert qt == [] and gui == []  # the CLI may start the tray: nothing else may


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_two_modules_import_each_other():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
