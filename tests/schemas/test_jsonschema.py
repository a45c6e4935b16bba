"""The committed JSON Schemas match the structs, and `dataschema` points at them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import jsonschema
from schemas.catalog import EVENT_TYPES, EventType


def test_committed_schemas_match_the_structs() -> None:
    problems = jsonschema.drift()
    assert problems == [], (
        "schemas/json/ has drifted; run `make schemas` and commit:\n" + "\n".join(problems)
    )


def test_check_fails_until_the_schemas_are_generated(tmp_path: Path) -> None:
    assert jsonschema.main(["--check", "--dir", str(tmp_path)]) == 1  # every schema missing
    assert jsonschema.main(["--dir", str(tmp_path)]) == 0
    assert jsonschema.main(["--check", "--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        t.schema_file for t in EVENT_TYPES.values()
    )


def test_drift_names_stale_missing_and_extra_files(tmp_path: Path) -> None:
    jsonschema.write(tmp_path)
    assert jsonschema.drift(tmp_path) == []
    first, second = sorted(EVENT_TYPES.values(), key=lambda t: t.name)[:2]
    (tmp_path / first.schema_file).write_text("{}\n")
    (tmp_path / second.schema_file).unlink()
    (tmp_path / "vehicle.gone.v1.json").write_text("{}\n")
    assert sorted(jsonschema.drift(tmp_path)) == sorted(
        [
            f"{first.schema_file}: differs from the struct",
            f"{second.schema_file}: missing",
            "vehicle.gone.v1.json: no such type in the catalog",
        ]
    )
    jsonschema.write(tmp_path)
    assert jsonschema.drift(tmp_path) == []


@pytest.mark.parametrize("event_type", EVENT_TYPES.values(), ids=lambda t: t.name)
def test_each_schema_is_identified_by_its_dataschema_url(event_type: EventType) -> None:
    published = json.loads((jsonschema.SCHEMA_DIR / event_type.schema_file).read_text())
    assert published["$id"] == event_type.schema_url
    assert published["$schema"] == jsonschema.DIALECT
    root = published["$ref"].removeprefix("#/$defs/")
    assert root == event_type.data.__name__
    data = published["$defs"][root]
    assert "vehicle" in data["required"]
