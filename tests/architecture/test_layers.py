"""The packages form layers, and no import runs from a lower layer up to a higher one.

schemas (data) < fleetwire (the kernel: settings, Kafka clients, topics, the envelope)
< ingress, processors (the processes, side by side, neither importing the other)
< providers (the kit: declarations and the registry) < commands (the `fleetwire` command).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS: dict[str, int] = {
    "schemas": 0,
    "fleetwire": 1,
    "ingress": 2,
    "processors": 2,
    "providers": 3,
    "commands": 4,
}


def imported_packages(path: Path) -> set[str]:
    """The first-party top-level packages a module imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & LAYERS.keys()


def modules() -> list[Path]:
    return sorted(p for package in LAYERS for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_runs_up(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    level = LAYERS[package]
    upward = {name for name in imported_packages(path) if name != package and LAYERS[name] >= level}
    assert not upward, f"{path.relative_to(ROOT)} ({package}) imports {sorted(upward)}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text("def f():\n    from commands.cli import main\n    return main\n")
    assert imported_packages(module) == {"commands"}
