"""Hostile raw records for the processors: shapes no provider sends, built from samples.

Each case names the provider, the body and what must become of it: `dead` when it must be
dead-lettered, `either` when it may also normalize (a wrong type where the provider's
format tolerates one, say).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.providers import NORMALIZERS
from tests.support.samples import sample, valid_samples

WRONG_VALUES: tuple[Any, ...] = ([], {}, "text", -1, 1.5, True, None, "9" * 30)
OUT_OF_RANGE = (b"1e400", b"-1e400", b"9" * 400, b"-" + b"9" * 400, b"1e-400")


@dataclass(frozen=True)
class Case:
    provider: str
    what: str
    body: bytes
    must_dead_letter: bool


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def hostile_cases() -> Iterator[Case]:
    """The fixed cases: each must be dead-lettered."""
    for provider in sorted(NORMALIZERS):
        yield Case(provider, "100k levels of [", b"[" * 100_000, True)
        yield Case(provider, "100k levels of [] closed", nested(100_000), True)
        yield Case(provider, "50k levels of {", b'{"a":' * 50_000, True)
        yield Case(provider, "empty body", b"", True)
        yield Case(provider, "not JSON", b"\xff\xfe\x00garbage", True)
        yield Case(provider, "a bare number out of range", b"1e400", True)
    # Huge arrays, each still under the raw topics' record limit (1 MiB and a margin).
    zf = json.loads(sample("zf-scalar", "variant-mixed-batch"))
    item = {"eventType": "unit.unpaired", "eventVersion": 1, "eventData": {}}
    yield Case(
        "zf-scalar",
        "15k events in one batch",
        json.dumps({**zf, "eventsData": [item] * 15_000}).encode(),
        True,
    )
    yield Case(
        "zf-scalar",
        "150k nulls in one batch",
        json.dumps({**zf, "eventsData": [None] * 150_000}).encode(),
        True,
    )
    yield Case(
        "zf-scalar",
        "200k empty objects in one batch",
        json.dumps({**zf, "eventsData": [{}] * 200_000}).encode(),
        True,
    )
    smartcar = json.loads(sample("smartcar", "variant-vehicle-state-v4"))
    smartcar["padding"] = "x" * (60 * 1024)
    yield Case("smartcar", "over Smartcar's 50 KB", json.dumps(smartcar).encode(), True)


def leaf_paths(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in the document, containers included (the root excluded)."""
    if path:
        yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document[:3]):
            yield from leaf_paths(value, (*path, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def wrong_type_cases(provider: str) -> Iterator[Case]:
    """Every field of every sample of `provider`, one at a time, of the wrong type."""
    for path in valid_samples(provider):
        document = json.loads(path.read_bytes())
        for field_path in leaf_paths(document):
            for value in WRONG_VALUES:
                body = json.dumps(replaced(document, field_path, value)).encode()
                yield Case(provider, f"{path.stem}: {field_path} = {value!r}", body, False)


def out_of_range_cases(provider: str) -> Iterator[Case]:
    """Every number of every sample of `provider`, one at a time, out of any range."""
    marker = "__out_of_range__"
    for path in valid_samples(provider):
        document = json.loads(path.read_bytes())
        for field_path in leaf_paths(document):
            for number in OUT_OF_RANGE:
                text = json.dumps(replaced(document, field_path, marker)).encode()
                body = text.replace(json.dumps(marker).encode(), number)
                yield Case(provider, f"{path.stem}: {field_path} = {number[:12]!r}", body, False)
