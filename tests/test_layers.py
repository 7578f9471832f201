"""The rooms of the house and who may import whom (docs/architecture.md).

Every module under ``vmeste/`` is parsed, so an import inside a function or under
``TYPE_CHECKING`` counts as much as one at the top: each is a dependency the day it
runs or a reader follows it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vmeste"

#: Room → the rooms of ``vmeste`` it must not import.
FORBIDDEN = {
    "vmeste.platform": ("vmeste.schema", "vmeste.workers", "vmeste.plugins", "vmeste.cli",
                        "vmeste.app"),
    "vmeste.schema": ("vmeste.workers", "vmeste.cli", "vmeste.plugins", "vmeste.app"),
}
#: Built-in plugins use the platform's API only, as a third-party plugin does.
PLUGINS_MAY_IMPORT = ("vmeste.platform", "vmeste.plugins")

#: Pairs of platform packages known to import each other, each to be removed; the
#: imports between an allowed pair are left out of the cycle search, nothing else is.
ALLOWED_PAIRS = [
    # Not yet owned by a branch: reference services take identity's Principal and Role,
    # while identity's role assignment, principal paths and dev tokens read reference
    # models. Splitting the principal (who asks, scoped by path) from role storage
    # would remove it.
    frozenset({"identity", "reference"}),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in the file, wherever it stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from vmeste import app`` imports the module vmeste.app.
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}" if base == "vmeste" else base


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
EDGES = [(module, line, target) for module, path in MODULES.items()
         for line, target in imports(path) if target == "vmeste" or
         target.startswith("vmeste.")]


def within(name: str, room: str) -> bool:
    return name == room or name.startswith(room + ".")


def where(module: str, line: int, target: str) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}: {module} imports {target}"


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_what_they_may(room: str) -> None:
    bad = [where(m, line, t) for m, line, t in EDGES if within(m, room)
           and any(within(t, other) for other in FORBIDDEN[room])]
    assert not bad, f"{room} must not import {', '.join(FORBIDDEN[room])}:\n" + "\n".join(bad)


def test_plugins_import_only_the_platform() -> None:
    bad = [where(m, line, t) for m, line, t in EDGES if within(m, "vmeste.plugins")
           and not any(within(t, allowed) for allowed in PLUGINS_MAY_IMPORT)]
    assert not bad, "built-in plugins may import vmeste.platform only:\n" + "\n".join(bad)


def platform_package(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) < 3 or parts[:2] != ["vmeste", "platform"]:
        return None
    return parts[2] if (PACKAGE / "platform" / parts[2]).is_dir() else None


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of packages that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [group for group in groups if len(group) > 1]


def test_platform_packages_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    evidence: dict[tuple[str, str], str] = {}
    for module, line, target in EDGES:
        source, imported = platform_package(module), platform_package(target)
        if source and imported and source != imported and \
                frozenset({source, imported}) not in ALLOWED_PAIRS:
            graph.setdefault(source, set()).add(imported)
            evidence.setdefault((source, imported), where(module, line, target))
    cycles = strongly_connected(graph)
    report = [f"{' <-> '.join(sorted(group))}:\n  " + "\n  ".join(
        evidence[(a, b)] for a in sorted(group) for b in sorted(graph[a] & group))
        for group in cycles]
    assert not cycles, "platform packages import each other in a cycle:\n" + "\n".join(report)


def test_the_parser_sees_imports_in_functions_and_type_checking() -> None:
    """The rules above are only as good as the import finder."""
    sample = PACKAGE / "platform" / "identity" / "dev_tokens.py"
    found = {target for _, target in imports(sample)}
    assert "vmeste.platform.identity.dev_issuer" in found
    hooks = {target for _, target in imports(PACKAGE / "platform" / "hookspecs.py")}
    assert "vmeste.platform.components" in hooks  # under TYPE_CHECKING
    common = {target for _, target in imports(PACKAGE / "cli" / "common.py")}
    assert "vmeste.platform.startup" in common  # inside a function
