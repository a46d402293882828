"""The rules of the layout that keep each workflow one unit, checked on the imports.

Product code (`flows`, `blocks`, `deployments`) imports nothing from `infra/`; no
workflow imports another workflow; nothing in the repository imports in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "blocks", "deployments", "infra")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Project modules `path` imports at module level or inside functions."""
    found = set()
    package = (
        module_name(path).rpartition(".")[0] if path.name != "__init__.py" else module_name(path)
    )
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in PACKAGES}


def modules() -> dict[str, set[str]]:
    graph = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            graph[module_name(path)] = imports(path)
    # `from a import b` names a module or an attribute: keep what is a module
    return {m: {i for i in deps if i in graph} for m, deps in graph.items()}


def test_product_code_imports_nothing_from_infra():
    bad = {
        m: sorted(d for d in deps if d.startswith("infra"))
        for m, deps in modules().items()
        if m.split(".")[0] in ("flows", "blocks", "deployments")
    }
    assert {m: d for m, d in bad.items() if d} == {}


def test_no_workflow_imports_another_workflow():
    def workflow(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if parts[0] == "flows" and len(parts) > 1 and parts[1] != "common" else None

    crossings = {
        (m, d)
        for m, deps in modules().items()
        for d in deps
        if workflow(m) and workflow(d) and workflow(m) != workflow(d)
    }
    assert crossings == set()


def test_shared_code_imports_no_workflow():
    bad = {
        (m, d)
        for m, deps in modules().items()
        if m.startswith(("flows.common", "blocks"))
        for d in deps
        if d.startswith("flows.") and not d.startswith("flows.common")
    }
    assert bad == set()


def test_nothing_imports_in_a_circle():
    graph = modules()
    # a package imports its own submodules when `from pkg import sub` names one: not a cycle
    graph = {
        m: {d for d in deps if d != m and not d.startswith(m + ".")} for m, deps in graph.items()
    }
    seen: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [module])
    assert cycles == []
