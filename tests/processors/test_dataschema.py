"""`dataschema` names the JSON Schema of the event's type under the configured base URL."""

from __future__ import annotations

import json

import pytest

from fleetwire.topics import TopicNames
from processors.output import Transformer
from schemas.catalog import EVENT_TYPES, SCHEMA_BASE_URL
from tests.support.golden import delivery
from tests.support.providers import NORMALIZERS
from tests.support.samples import valid_samples

BASES = ["https://schemas.example.com/fleetwire/", "http://processor.internal:9109/schemas/"]
# One sample of every provider; VERIFY samples are dead-lettered, so skip them.
SAMPLES = {
    provider: next(p for p in valid_samples(provider) if "verify" not in p.stem)
    for provider in sorted(NORMALIZERS)
}


def events(base: str | None, provider: str, body: bytes) -> list[dict[str, object]]:
    topics = TopicNames("t")
    transformer = (
        Transformer(topics, NORMALIZERS)
        if base is None
        else Transformer(topics, NORMALIZERS, schema_base_url=base)
    )
    out = transformer.transform(provider, delivery(provider, body))
    assert all(r.event_type for r in out), out
    return [json.loads(r.value) for r in out]


@pytest.mark.parametrize("provider", SAMPLES)
@pytest.mark.parametrize("base", BASES)
def test_another_base_changes_dataschema_and_nothing_else(provider: str, base: str) -> None:
    body = SAMPLES[provider].read_bytes()
    built = events(None, provider, body)
    moved = events(base, provider, body)
    assert len(moved) == len(built) > 0
    for before, after in zip(built, moved, strict=True):
        schema_file = EVENT_TYPES[str(after["type"])].schema_file
        assert after.pop("dataschema") == f"{base}{schema_file}"
        assert before.pop("dataschema") == f"{SCHEMA_BASE_URL}{schema_file}"
        assert after == before
