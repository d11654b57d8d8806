"""The import structure docs/architecture.md describes: Beam only in the wrappers, the entry points
and the storage layer; no module imports another that (directly or not) imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipelines"

#: modules that may import apache_beam: the Beam wrappers, the Kafka connector, the entry points
#: and pipeline definition, and the storage layer
BEAM_ALLOWED = {"pipelines.batch", "pipelines.cli", "pipelines.options", "pipelines.pipeline", "pipelines.stream",
                "pipelines.storage", "pipelines.io.kafka", "pipelines.io.stream_transforms"}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_beam_is_imported_only_by_wrappers_entry_points_and_storage():
    offenders = sorted(name for name, tree in _modules().items()
                       if any(i == "apache_beam" or i.startswith("apache_beam.") for i in _imports(tree))
                       and name not in BEAM_ALLOWED and not name.endswith(".transforms"))
    assert offenders == []


def test_no_import_cycles_between_modules():
    modules = _modules()
    graph = {name: {i for i in _imports(tree) if i in modules and i != name} for name, tree in modules.items()}
    # a package's __init__ that hands names on is not a dependency of its own modules' peers
    for name in graph:
        graph[name] = {i for i in graph[name] if not name.startswith(i + ".")}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []
