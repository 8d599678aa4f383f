"""The store seam holds: outside ``assistant/index/stores/`` nothing branches on a concrete store.

Code that needs to know how a store, catalog or gate behaves asks its protocol
(``assistant/index/stores/base.py``); an ``isinstance`` on a concrete class, or a ``getattr`` probing for
an attribute only some of them have, is how the seam leaked before. Fast: the source is only parsed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
STORES = PACKAGE / "index" / "stores"
SEAM_KINDS = ("Store", "Catalog", "Gate")  # what the seam's concrete classes are named after


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _names(node: ast.AST) -> Iterator[str]:
    for found in ast.walk(node):
        if isinstance(found, ast.Name):
            yield found.id
        elif isinstance(found, ast.Attribute):
            yield found.attr


def _classes() -> tuple[dict[str, ast.ClassDef], dict[str, ast.ClassDef]]:
    """The store package's classes: (concrete, protocols)."""
    concrete, protocols = {}, {}
    for path in STORES.glob("*.py"):
        for node in ast.walk(_parsed(path)):
            if isinstance(node, ast.ClassDef):
                is_protocol = "Protocol" in {name for base in node.bases for name in _names(base)}
                (protocols if is_protocol else concrete)[node.name] = node
    return concrete, protocols


def _members(cls: ast.ClassDef) -> set[str]:
    """Methods, class attributes and ``self.<name>`` assignments of a class."""
    members = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            members.add(node.name)
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    members.add(target.id)
                elif (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    members.add(target.attr)
    return members


def _outside_the_store_package() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORES not in path.parents:
            for node in ast.walk(_parsed(path)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node


def test_no_module_outside_the_store_package_names_a_concrete_store_in_an_isinstance() -> None:
    concrete, _ = _classes()
    assert {"EmbeddedStore", "SharedClientStore", "FileCatalog", "ServerCatalog", "SqliteGate"} <= set(
        concrete
    )
    leaks = [
        f"{where} {node.func.id}(…, {sorted(named)})"  # type: ignore[attr-defined]
        for where, node in _outside_the_store_package()
        if node.func.id in {"isinstance", "issubclass"}  # type: ignore[attr-defined]
        and len(node.args) == 2
        and (named := set(concrete) & set(_names(node.args[1])))
    ]
    assert not leaks, f"ask the protocol (assistant/index/stores/base.py) instead: {leaks}"


def test_no_module_outside_the_store_package_probes_a_concrete_store_with_getattr() -> None:
    concrete, protocols = _classes()
    seam = {name: cls for name, cls in concrete.items() if name.endswith(SEAM_KINDS)}
    assert {"EmbeddedStore", "SharedClientStore", "FileCatalog", "ServerCatalog"} <= set(seam)
    promised = set().union(*(_members(cls) for cls in protocols.values()))
    private = set().union(*(_members(cls) for cls in seam.values())) - promised
    assert {"pointer_name", "failure"} <= private
    leaks = [
        f"{where} {node.func.id}(…, {node.args[1].value!r})"  # type: ignore[attr-defined]
        for where, node in _outside_the_store_package()
        if node.func.id in {"getattr", "hasattr"}  # type: ignore[attr-defined]
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value in private
    ]
    assert not leaks, f"ask the protocol (assistant/index/stores/base.py) instead: {leaks}"
