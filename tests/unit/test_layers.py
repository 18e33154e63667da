"""Imports run one way (ARCHITECTURE.md): a module never imports a layer above its own.

Every `import` and `from … import` of agent/ and evals/ counts, inside functions and under
TYPE_CHECKING too: an import that is only lazy is still an import upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS: list[tuple[str, ...]] = [
    ("agent.errors", "agent.files", "agent.settings", "agent.schemas", "agent.prompts"),
    ("agent.checks",),
    ("agent.llm",),
    ("agent.store",),
    ("agent.intake",),
    ("agent.state", "agent.context"),
    ("agent.nodes",),
    ("agent.routing", "agent.graph"),
    ("agent.api", "agent.render", "agent"),
    ("evals",),
    ("agent.cli", "agent.desk"),
]
"""Lowest first. `agent` itself (its __init__) is the public API, beside api.py."""


def layer_of(module: str) -> int:
    """Return the layer of a module: the one whose longest prefix names it."""
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    if rank < 0:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS and ARCHITECTURE.md")
    return rank


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports from agent or evals, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from agent import x` may name a submodule.
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*candidate.split("."))
                ).is_dir():
                    found.append((node.lineno, candidate))
    return [(line, name) for line, name in found if name.split(".")[0] in ("agent", "evals")]


SOURCES = sorted(
    p
    for folder in ("agent", "evals")
    for p in (ROOT / folder).rglob("*.py")
    if "migrations" not in p.parts
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    me = module_name(path)
    mine = layer_of(me)
    upward = [
        f"line {line}: {name} (layer {layer_of(name)} > {mine})"
        for line, name in imports_of(path)
        if layer_of(name) > mine
    ]
    assert not upward, f"{me} imports upward: " + "; ".join(upward)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "agent" / "nodes").glob("*.py")), ids=lambda p: p.name
)
def test_nodes_never_import_each_other(path: Path) -> None:
    shared = {"agent.nodes", "agent.nodes.common"}  # helpers every node uses; not a node
    me = module_name(path)
    others = [
        f"line {line}: {name}"
        for line, name in imports_of(path)
        if name.startswith("agent.nodes") and name not in shared and name != me
    ]
    assert not others, f"{me} imports another node: " + "; ".join(others)


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The scan itself: a check that imported a node would be reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from agent.nodes.summary import draft_summary\n")
    assert [name for _, name in imports_of(bad)] == ["agent.nodes.summary"]
    assert layer_of("agent.nodes.summary") > layer_of("agent.checks.text")
