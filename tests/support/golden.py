"""Golden files: the canonical events each valid sample becomes, reviewed once, then compared.

tests/golden/<provider>/<sample stem>.json holds the list of canonical events that the
pure transform (processors.output.Transformer, the processors' real path) makes of
tests/samples/<provider>/<sample>.json delivered as one raw record, built the same way
for every provider:

- source = the provider's name (as in deploy/local/sources.toml);
- key = the body's SHA-256 in lowercase hex, as the ingress keys a provider without
  delivery ids. The samples reuse their providers' example ids (every ZF sample has the
  same `eventBatchId`, the Smartcar variants share an `eventId`), so keying by those
  would give different events one id; the hash keeps each sample a delivery of its own;
- received at RECEIVED_AT, with the delivery headers the processors read as the provider
  would send them then (DELIVERY_HEADERS: Telematica's signed timestamp), or, where they
  depend on the sample, as SAMPLE_HEADERS says (Geotab: the poller's feed and VIN headers).

The files are the reviewed contract and docs/events.md quotes them: after a change,
regenerate with `FLEETWIRE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/processors` and review
the diff.

Use from a test module:

    @pytest.mark.parametrize("sample", valid_samples("zubie"), ids=lambda p: p.stem)
    def test_golden(sample: Path) -> None:
        assert_matches_golden("zubie", sample)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from tests.support import geotab
from tests.support.providers import NORMALIZERS
from tests.support.samples import SAMPLES

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
RECEIVED_AT = "2025-10-31T07:39:11.000Z"
PREFIX = "golden"
UPDATE_ENV = "FLEETWIRE_UPDATE_GOLDEN"
TRANSFORMER = Transformer(TopicNames(PREFIX), NORMALIZERS)

# Headers the processors read, as the provider would send them at RECEIVED_AT.
DELIVERY_HEADERS: dict[str, dict[str, str]] = {
    "telematica": {"svix-timestamp": "1761896350"},  # 2025-10-31T07:39:10Z, a second earlier
    "samsara": {"x-samsara-timestamp": "1761896350"},  # the same signed send time
}
# Headers that depend on the sample: its body in, the headers it is delivered with out.
SAMPLE_HEADERS: dict[str, Callable[[bytes], dict[str, str]]] = {
    "geotab": geotab.sample_headers,
}


def delivery(provider: str, body: bytes, headers: Mapping[str, str] | None = None) -> InRecord:
    """The raw record of `body` by the golden convention (see the module doc).

    `headers` replaces the provider's usual delivery headers (DELIVERY_HEADERS,
    SAMPLE_HEADERS).
    """
    if headers is None:
        per_sample = SAMPLE_HEADERS.get(provider)
        headers = per_sample(body) if per_sample else DELIVERY_HEADERS.get(provider, {})
    kafka_headers = [
        ("fleetwire-source", provider.encode()),
        ("fleetwire-provider", provider.encode()),
        ("fleetwire-received-at", RECEIVED_AT.encode()),
        ("content-type", b"application/json"),
        *((name, value.encode()) for name, value in headers.items()),
    ]
    return InRecord(
        topic=TopicNames(PREFIX).raw(provider),
        partition=0,
        offset=0,
        key=hashlib.sha256(body).hexdigest().encode(),
        value=body,
        headers=kafka_headers,
    )


def transform(
    provider: str, body: bytes, headers: Mapping[str, str] | None = None
) -> list[OutRecord]:
    return TRANSFORMER.transform(provider, delivery(provider, body, headers))


def events_of(records: list[OutRecord]) -> list[dict[str, Any]]:
    """The events of a transform's output; fails the test if it was dead-lettered instead."""
    for record in records:
        if record.event_type is None:
            reason = dict(record.headers)["fleetwire-error"].decode()
            raise AssertionError(f"dead-lettered ({record.error_kind}): {reason}")
    return [json.loads(record.value) for record in records]


def canonical_events(
    provider: str, body: bytes, headers: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The events `body` becomes; fails the test if it was dead-lettered instead."""
    return events_of(transform(provider, body, headers))


def dead_letter(provider: str, body: bytes) -> tuple[str, str]:
    """(kind, reason) of the dead letter `body` becomes; fails if it became events."""
    out = transform(provider, body)
    assert [r.event_type for r in out] == [None], f"not dead-lettered: {out}"
    [record] = out
    assert record.topic == TopicNames(PREFIX).dead_letter(provider)
    assert record.value == body
    return record.error_kind or "", dict(record.headers)["fleetwire-error"].decode()


def golden_path(provider: str, sample: Path) -> Path:
    return GOLDEN / provider / f"{sample.stem}.json"


def assert_matches_golden(provider: str, sample: Path) -> list[dict[str, Any]]:
    """Compare what `sample` becomes with its golden file (or rewrite it); return the events."""
    events = canonical_events(provider, sample.read_bytes())
    path = golden_path(provider, sample)
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n")
        return events
    assert path.exists(), f"{path} is missing: run with {UPDATE_ENV}=1 and review it"
    expected = json.loads(path.read_text())
    assert events == expected, (
        f"{sample.name} no longer gives {path}; if intended, "
        f"regenerate with {UPDATE_ENV}=1 and review the diff"
    )
    return events


def orphaned_golden_files(provider: str) -> list[str]:
    """Golden files whose sample no longer exists."""
    samples = {p.stem for p in (SAMPLES / provider).glob("*.json")}
    return sorted(p.name for p in (GOLDEN / provider).glob("*.json") if p.stem not in samples)
