"""What holds across every reviewed golden file, whichever provider it came from."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest

from schemas.canonical import CanonicalEvent
from schemas.catalog import EVENT_TYPES
from tests.support.golden import GOLDEN

FILES = sorted(GOLDEN.glob("*/*.json"))


def events(path: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(path.read_text())
    return loaded


def test_different_deliveries_never_share_an_id() -> None:
    counts = Counter(event["id"] for path in FILES for event in events(path))
    assert [event_id for event_id, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_event_reads_back_as_its_type(path: Path) -> None:
    for event in events(path):
        event_type = EVENT_TYPES[event["type"]]
        envelope = msgspec.convert({**event, "data": {"vehicle": {}}}, CanonicalEvent)
        assert envelope.dataschema.endswith(event_type.schema_file)
        data = msgspec.json.decode(json.dumps(event["data"]), type=event_type.data)
        assert json.loads(msgspec.json.encode(data)) == event["data"]
