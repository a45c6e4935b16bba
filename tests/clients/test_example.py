"""The client's README example: the file it quotes, run on an event of every type."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from commands import eventsdoc
from fleetwire_events import decode

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "python"
EXAMPLE = CLIENT / "examples" / "consumer.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("client_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_quotes_the_example_file() -> None:
    assert f"```python\n{EXAMPLE.read_text()}```" in (CLIENT / "README.md").read_text()


async def test_the_example_prints_each_type_it_subscribes_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = load_example()
    chosen = eventsdoc.examples()
    for name, found in chosen.items():
        if any(fnmatch.fnmatchcase(name, glob) for glob in example.TYPES):
            await example.handle(decode(json.dumps(found.event).encode()))
    printed = capsys.readouterr().out.splitlines()
    trip = chosen["vehicle.trip.ended"].event
    dtc = chosen["vehicle.dtc.detected"].event["data"]["dtc"]
    assert sorted(printed) == sorted(
        [
            f"{trip['subject']} drove {trip['data']['trip']['distance_km']} km",
            f"{chosen['vehicle.dtc.detected'].event['subject']} reports {dtc['code']} "
            f"{dtc['description']}",
        ]
    )
