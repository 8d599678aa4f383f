"""The house keeps its shape (docs/architecture.md): layers import only downward, the surfaces do not
import each other both ways, and the entry point only wires named stages. Fast: the source is parsed,
nothing is imported."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"

# Bottom to top. A unit is a top-level module or package of assistant/; it may import its own rank or below.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "errors",
            "article",
            "schema",
            "offline",
            "allocator",
            "file_lock",
            "chroma_address",
            "settings",
            "cancellation",
        }
    ),
    frozenset({"ingest", "feedback", "model_server"}),
    frozenset({"index"}),
    frozenset({"retrieve"}),
    frozenset({"answer"}),
    frozenset({"pipeline"}),
    frozenset({"evaluation", "suggestions", "delivery", "library", "tuning", "tuning_judge"}),
    frozenset({"ui"}),
    frozenset({"web"}),
    frozenset({"cli"}),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) → the files where it happens; every import, lazy ones too."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if relative.as_posix() == "assistant/__init__.py":
            continue  # the public API re-exports from every layer
        unit = _unit(".".join(relative.with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "assistant":
                targets = (
                    [node.module]
                    if node.module != "assistant"
                    else [f"assistant.{a.name}" for a in node.names]
                )
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "assistant"]
            else:
                continue
            for target in targets:
                if (other := _unit(target)) and other != unit:
                    found[(unit, other)].append(relative.as_posix())
    return found


def test_every_unit_of_the_package_has_a_layer():
    units = {
        _unit(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) for p in PACKAGE.rglob("*.py")
    }
    units.discard("__init__")
    units.discard("")
    assert units <= set(RANK), (
        f"give {sorted(units - set(RANK))} a layer in LAYERS (and docs/architecture.md)"
    )


def test_layers_import_only_downward():
    upward = {
        f"{unit} → {other} ({', '.join(sorted(set(files)))})"
        for (unit, other), files in _imports().items()
        if RANK.get(other, -1) > RANK.get(unit, len(LAYERS))
    }
    assert not upward


def test_no_cycle_between_units():
    edges = _imports()
    cycles = sorted(f"{a} ⇄ {b}" for a, b in edges if a < b and (b, a) in edges)
    assert not cycles


def test_settings_import_no_stage():
    imported = {other for (unit, other) in _imports() if unit == "settings"}
    assert imported <= {"errors", "chroma_address"}


def test_the_surfaces_do_not_import_each_other_both_ways():
    edges = _imports()
    assert ("ui", "web") not in edges
    assert set(edges.get(("web", "ui"), [])) <= {"assistant/web/app.py"}, "only the app mounts the page"


def test_the_entry_point_holds_no_stage_logic_in_closures():
    """pipeline.py wires named stages: no function or lambda inside another function, so a reader (or
    a call walk) follows ``Assistant.ask`` into ``Retrieval.understand``, ``Retrieval.gather`` and the
    answerer by name."""
    tree = ast.parse((PACKAGE / "pipeline.py").read_text(encoding="utf-8"))
    nested = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(function):
                if inner is not function and isinstance(
                    inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                ):
                    nested.append(f"{function.name}:{inner.lineno}")
    assert not nested
