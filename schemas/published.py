"""The committed JSON Schemas (schemas/json/, package data) as they are served.

Each file's `$id` names the URL it is published at, so a deployment that publishes them
under another base URL serves them with `$id` rewritten to match what `dataschema` says.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import msgspec


def format_schema(document: dict[str, Any]) -> bytes:
    """The one layout of a schema file: two-space indent, a final newline."""
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


def published_schemas(base_url: str | None = None) -> dict[str, bytes]:
    """File name to content for every committed schema; `$id` under `base_url` if given."""
    folder = resources.files("schemas") / "json"
    schemas: dict[str, bytes] = {}
    for entry in folder.iterdir():
        if not (entry.name.endswith(".json") and entry.is_file()):
            continue
        content = entry.read_bytes()
        if base_url is not None:
            document: dict[str, Any] = msgspec.json.decode(content)
            document["$id"] = f"{base_url}{entry.name}"
            content = format_schema(document)
        schemas[entry.name] = content
    return schemas
