"""The shape of ``infra/sandbox``, read from its import statements with ``ast``: the core
names no service, and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

import infra.sandbox

ROOT = Path(infra.sandbox.__file__).parent
PACKAGE = "infra.sandbox"
SERVICES = f"{PACKAGE}.services"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported(name: str) -> set[str]:
    """Modules ``name`` imports, anywhere in it (TYPE_CHECKING blocks and functions too),
    as absolute names; ``from package import module`` counts as importing the module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


def graph() -> dict[str, set[str]]:
    """Import edges between the modules of ``infra/sandbox``."""
    return {name: {m for m in imported(name) if m in MODULES} for name in MODULES}


def test_the_graph_sees_the_whole_package() -> None:
    edges = graph()
    assert f"{PACKAGE}.core.service" in edges[f"{PACKAGE}.core.app"]
    assert f"{SERVICES}.notion.routes" in edges[f"{SERVICES}.notion"]
    assert {f"{SERVICES}.{name}" for name in ("notion", "media", "camera", "webhooks")} <= set(
        MODULES
    )


def test_the_core_imports_no_service() -> None:
    core = [name for name in MODULES if name.startswith(f"{PACKAGE}.core")]
    assert len(core) > 5
    leaks = {
        name: sorted(m for m in imported(name) if m == SERVICES or m.startswith(SERVICES + "."))
        for name in core
    }
    assert {name: found for name, found in leaks.items() if found} == {}


def test_no_import_cycle() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for target in sorted(edges[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
