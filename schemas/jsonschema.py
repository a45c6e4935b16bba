"""The published JSON Schemas: one per canonical type, generated from its `data` struct.

Each file in schemas/json/ is named by `EventType.schema_file` and describes the `data`
of that type; its `$id` is the URL the events' `dataschema` attribute carries. The files
are committed and must match the structs: `make schemas` (this module) rewrites them, and
`--check` (used by the tests) fails when they have drifted.

    python -m schemas.jsonschema            # rewrite schemas/json/
    python -m schemas.jsonschema --check    # exit 1 if a file is stale, missing or extra
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from schemas.catalog import EVENT_TYPES, EventType
from schemas.published import format_schema

SCHEMA_DIR = Path(__file__).resolve().parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema(event_type: EventType) -> dict[str, Any]:
    generated = clean_descriptions(msgspec.json.schema(event_type.data))
    return {
        "$schema": DIALECT,
        "$id": event_type.schema_url,
        "title": f"{event_type.name} v{event_type.version}: data",
        **generated,
    }


def clean_descriptions(node: Any) -> Any:
    """Docstring-derived descriptions dedented the same way whatever msgspec version wrote them.

    msgspec 0.23 began dedenting docstrings, older releases kept the indentation; without
    this the committed files would depend on the installed msgspec, not on the structs.
    """
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else clean_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [clean_descriptions(item) for item in node]
    return node


def render(event_type: EventType) -> bytes:
    return format_schema(schema(event_type))


def rendered(types: Mapping[str, EventType] = EVENT_TYPES) -> dict[str, bytes]:
    """File name to content, for every registered type."""
    return {t.schema_file: render(t) for t in types.values()}


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """What differs between the committed files and the structs, one line each."""
    expected = rendered()
    present = {p.name for p in directory.glob("*.json")}
    problems = [f"{name}: missing" for name in sorted(expected.keys() - present)]
    problems += [
        f"{name}: no such type in the catalog" for name in sorted(present - expected.keys())
    ]
    problems += [
        f"{name}: differs from the struct"
        for name in sorted(expected.keys() & present)
        if (directory / name).read_bytes() != expected[name]
    ]
    return problems


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Make `directory` hold exactly the current schemas; return the names changed."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = rendered()
    changed = []
    for stale in sorted(p for p in directory.glob("*.json") if p.name not in expected):
        stale.unlink()
        changed.append(stale.name)
    for name, content in expected.items():
        path = directory / name
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
            changed.append(name)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.jsonschema", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="default: schemas/json")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift(args.dir)
        for line in problems:
            print(f"{args.dir}/{line}", file=sys.stderr)
        if problems:
            print("run `make schemas` and commit schemas/json/", file=sys.stderr)
        return 1 if problems else 0
    changed = write(args.dir)
    print(f"{len(EVENT_TYPES)} schemas in {args.dir}; {len(changed)} written or removed")
    for name in changed:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
