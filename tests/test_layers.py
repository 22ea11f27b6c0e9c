"""The import layering of engine/: each layer imports only from layers below it, and no cycle.

models < evaluate < load < plan < render < app < cli (``engine.errors`` and ``engine`` itself are
shared by all). Imports inside functions count too; ``if TYPE_CHECKING:`` blocks do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
LAYERS = ["models", "evaluate", "load", "plan", "render", "app", "cli"]
SHARED = {"engine", "engine.errors"}


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("engine")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine") and node.level == 0:
            for a in node.names:  # `from engine.load import yamlio` imports the module engine.load.yamlio
                sub = f"{node.module}.{a.name}"
                found.add(sub if (ENGINE.parent / (sub.replace(".", "/") + ".py")).exists() else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in sorted(ENGINE.rglob("*.py")) if _layer(_module(p)) is not None}


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for mod, deps in _graph().items():
        here = LAYERS.index(_layer(mod) or "")
        for dep in deps - SHARED:
            there = _layer(dep)
            if there is not None and LAYERS.index(there) > here:
                upward.append(f"{mod} imports {dep}")
    assert upward == []


def test_cli_is_the_only_typer_module_and_calls_only_the_app_layer() -> None:
    typer_users = sorted(_module(p) for p in ENGINE.rglob("*.py") if "import typer" in p.read_text(encoding="utf-8"))
    assert typer_users == ["engine.cli"]
    below = {d for d in _imports(ENGINE / "cli.py") - SHARED if _layer(d) not in ("app", None)}
    assert below == set()


def test_no_import_cycle_between_modules() -> None:
    graph = _graph()
    cycles = []
    state: dict[str, int] = {}

    def visit(mod: str, path: list[str]) -> None:
        state[mod] = 1
        for dep in sorted(graph.get(mod, set())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[mod] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    assert cycles == []
