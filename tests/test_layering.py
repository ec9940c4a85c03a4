"""The front ends read and write personal data only through the domains' services: no command module
runs SQL on the store or imports a storage module (where the tables live)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FRONT_ENDS = sorted((Path(__file__).parents[1] / "src/immigrationos/cli").glob("*.py"))
STORE_METHODS = {"rows", "scalar", "execute", "record", "conn", "transaction"}


def bypasses(source: str) -> list[str]:
    """Every place where the code imports a storage module or touches the store's SQL methods."""
    found = []
    for node in ast.walk(ast.parse(source)):
        imports_storage = (
            isinstance(node, ast.ImportFrom)
            and bool(node.module)
            and (str(node.module).endswith(".storage") or any(a.name == "storage" for a in node.names))
        )
        if imports_storage:
            found.append(f"line {node.lineno}: imports {node.module}")  # type: ignore[attr-defined]
        touches_store = (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "store"
            and node.attr in STORE_METHODS
        )
        if touches_store:
            found.append(f"line {node.lineno}: store.{node.attr}")  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize("module", FRONT_ENDS, ids=[p.name for p in FRONT_ENDS])
def test_no_command_goes_around_the_service_layer(module: Path) -> None:
    assert bypasses(module.read_text(encoding="utf-8")) == []


def test_the_check_catches_a_bypass() -> None:
    bad = (
        "from immigrationos.departures.storage import CASES\nfrom immigrationos.sources import storage\n"
        "def f(store):\n    return store.rows('SELECT 1')\n"
    )
    assert bypasses(bad) == [
        "line 1: imports immigrationos.departures.storage",
        "line 2: imports immigrationos.sources",
        "line 4: store.rows",
    ]
