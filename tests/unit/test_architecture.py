"""The layout's rules that import-linter cannot state: no import cycle between files (counting
imports under TYPE_CHECKING), no service locator, and function-level imports only with a reason."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[2] / "src" / "storesync"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
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
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_files_counting_type_checking_imports() -> None:
    graph = grimp.build_graph("storesync", cache_dir=None, exclude_type_checking_imports=False)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_nothing_below_the_entry_points_fetches_the_container() -> None:
    allowed = {"bootstrap.py", "deps.py"}
    offenders = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if relative.parts[0] in {"api", "cli"} or str(relative) in allowed:
            continue
        text = path.read_text()
        if "storesync.bootstrap" in text or "runtime.container" in text:
            offenders.append(str(relative))
    assert offenders == []


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    """(line, the comment line above or on it) of each import inside a function."""
    lines = path.read_text().splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                above = lines[inner.lineno - 2].strip() if inner.lineno > 1 else ""
                same = lines[inner.lineno - 1]
                reason = same.partition("#")[2] or (above[1:] if above.startswith("#") else "")
                found.append((inner.lineno, reason.strip()))
    return found


def test_function_level_imports_say_why() -> None:
    unexplained = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        for line, reason in _function_level_imports(path)
        if not reason
    ]
    assert unexplained == []
