"""The shape of the house: which layer may import which, and who reads the environment.

The core (models, catalog, analysis, backends, store, coding, debrief, engine) runs without a
screen; the TUI and the CLI are its clients. Settings come from one place, `simulator.config`,
so that every knob is a typed, documented field of `Settings`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"


def _modules(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        target = PACKAGE / part
        found += sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    return found


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file, lazy imports inside functions included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if name.startswith(forbidden)
    ]


CORE = ("models", "catalog", "debrief", "analysis", "backends", "store", "coding", "engine")
CLIENTS = ("simulator.tui", "simulator.cli", "simulator.headless")


def test_the_core_never_imports_textual_or_a_client():
    assert _offending(_modules(*CORE), ("textual", *CLIENTS)) == []


@pytest.mark.parametrize("layer", ["analysis", "backends", "store", "coding", "models", "debrief"])
def test_layers_below_the_engine_never_import_it(layer):
    assert _offending(_modules(layer), ("simulator.engine",)) == []


def test_only_config_reads_the_environment():
    readers = []
    for path in _modules("."):
        if path.name == "config.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reads = (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in ("environ", "getenv", "environb", "getenvb")
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(a.name in ("environ", "getenv") for a in node.names)
            )
            if reads:
                readers.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert readers == [], "read settings through simulator.config, not os.environ"
