"""Golden outputs: the canonical events each valid sample becomes, reviewed and committed.

tests/golden/<provider>/<sample stem>.json holds the list of canonical events the pure
transform makes of that sample, from a fixed raw record (fixed key, headers and receive
time), so that any change to what a sample becomes shows up as a diff to review.
Regenerate with FLEETWIRE_UPDATE_GOLDEN=1, then read every changed file against its sample.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from processors.registry import NORMALIZERS

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
RECEIVED_AT = "2025-10-31T07:39:11.000Z"
TRANSFORMER = Transformer(TopicNames("golden"), NORMALIZERS)


def transform(
    provider: str, body: bytes, key: str, headers: dict[str, str] | None = None
) -> list[OutRecord]:
    """The pure transform of one raw record as the ingress would have written it."""
    kafka_headers = [
        ("fleetwire-source", provider.encode()),
        ("fleetwire-provider", provider.encode()),
        ("fleetwire-received-at", RECEIVED_AT.encode()),
        ("content-type", b"application/json"),
        *((name, value.encode()) for name, value in (headers or {}).items()),
    ]
    message = InRecord(
        topic=f"golden.raw.{provider}",
        partition=0,
        offset=0,
        key=key.encode(),
        value=body,
        headers=kafka_headers,
    )
    return TRANSFORMER.transform(provider, message)


def events_of(records: list[OutRecord]) -> list[Any]:
    dead = [r for r in records if r.error_kind is not None]
    assert not dead, [dict(r.headers).get("fleetwire-error") for r in dead]
    return [json.loads(r.value) for r in records]


def check_golden(provider: str, stem: str, events: list[Any]) -> None:
    path = GOLDEN / provider / f"{stem}.json"
    if os.environ.get("FLEETWIRE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n")
        return
    assert path.exists(), f"{path} is missing: run with FLEETWIRE_UPDATE_GOLDEN=1 and review it"
    assert events == json.loads(path.read_text()), (
        f"{stem} no longer becomes what {path} says; if the change is intended, regenerate "
        "with FLEETWIRE_UPDATE_GOLDEN=1 and review the diff"
    )
