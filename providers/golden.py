"""Golden files: the canonical events each valid sample becomes, reviewed once, then compared.

`<provider.golden>/<sample stem>.json` holds the list of canonical events that the pure
transform (processors.output.Transformer, the processors' real path) makes of
`<provider.samples>/<sample>.json` delivered as one raw record, built the same way for
every provider:

- source = the provider's name;
- key = the body's SHA-256 in lowercase hex, as the ingress keys a provider without
  delivery ids. Samples often reuse their provider's example ids, so keying by those
  would give different events one id; the hash keeps each sample a delivery of its own;
- received at RECEIVED_AT, with the provider's `sample_headers` (the delivery headers
  the processors read, as the provider would send them then), and, where a sample's
  headers are its own, those in the JSON object of `<sample stem>.headers` beside it
  (Geotab: the feed and the device's VIN that the poller writes).

Samples named `*.invalid.json` are not valid JSON and have no golden file; neither have
the provider's `rejected_samples`, nor its pings (`*.ping.json`: a test delivery or a
heartbeat, which becomes nothing). After a change, regenerate with
`FLEETWIRE_UPDATE_GOLDEN=1` (running the suite's golden test) and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fleetwire import envelope
from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from providers.spec import Provider

RECEIVED_AT = "2025-10-31T07:39:11.000Z"
PREFIX = "golden"
UPDATE_ENV = "FLEETWIRE_UPDATE_GOLDEN"
INVALID_SUFFIX = ".invalid.json"
PING_SUFFIX = ".ping.json"  # a provider's test delivery or heartbeat: becomes nothing
TOPICS = TopicNames(PREFIX)

Event = dict[str, Any]


def samples_dir(provider: Provider) -> Path:
    if provider.samples is None:
        raise AssertionError(f"{provider.name}: declares no samples directory")
    return provider.samples


def golden_dir(provider: Provider) -> Path:
    if provider.golden is None:
        raise AssertionError(f"{provider.name}: declares no golden directory")
    return provider.golden


def valid_samples(provider: Provider) -> list[Path]:
    """The samples that are JSON, rejected ones included, pings not."""
    found = samples_dir(provider).glob("*.json")
    return sorted(p for p in found if not p.name.endswith((INVALID_SUFFIX, PING_SUFFIX)))


def ping_samples(provider: Provider) -> list[Path]:
    return sorted(samples_dir(provider).glob(f"*{PING_SUFFIX}"))


def invalid_samples(provider: Provider) -> list[Path]:
    return sorted(samples_dir(provider).glob(f"*{INVALID_SUFFIX}"))


def event_samples(provider: Provider) -> list[Path]:
    """The valid samples that have a golden file: all but the rejected ones."""
    return [p for p in valid_samples(provider) if p.stem not in provider.rejected_samples]


HEADERS_SUFFIX = ".headers"


def sample_headers(provider: Provider, body: bytes) -> dict[str, str]:
    """The headers a sample is delivered with: the provider's, then the sample's own."""
    own = _own_headers(samples_dir(provider)).get(body, {}) if provider.samples else {}
    return {**provider.sample_headers, **own}


@cache
def _own_headers(folder: Path) -> dict[bytes, dict[str, str]]:
    """Each sample body with its own headers, for the samples that have a `.headers` file."""
    found: dict[bytes, dict[str, str]] = {}
    for path in folder.glob(f"*{HEADERS_SUFFIX}"):
        sample = path.with_suffix(".json")
        if sample.exists():
            found[sample.read_bytes()] = json.loads(path.read_text(encoding="utf-8"))
    return found


def delivery(
    provider: Provider,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    key: str | None = None,
    received_at: str = RECEIVED_AT,
) -> InRecord:
    """The raw record of `body` by the golden convention (see the module doc).

    `headers` replaces the provider's `sample_headers`; `key` the body's SHA-256.
    """
    sent = sample_headers(provider, body) if headers is None else headers
    kafka_headers = [
        (envelope.SOURCE, provider.name.encode()),
        (envelope.PROVIDER, provider.name.encode()),
        (envelope.RECEIVED_AT, received_at.encode()),
        (envelope.CONTENT_TYPE, b"application/json"),
        *((name, value.encode()) for name, value in sent.items()),
    ]
    return InRecord(
        topic=TOPICS.raw(provider.name),
        partition=0,
        offset=0,
        key=(key or hashlib.sha256(body).hexdigest()).encode(),
        value=body,
        headers=kafka_headers,
    )


def transformer(provider: Provider) -> Transformer:
    return Transformer(TOPICS, {provider.name: provider.normalizer})


def transform(
    provider: Provider, body: bytes, headers: Mapping[str, str] | None = None
) -> list[OutRecord]:
    return transformer(provider).transform(provider.name, delivery(provider, body, headers))


def events_of(provider: Provider, records: list[OutRecord]) -> list[Event]:
    """The events of a transform's output; AssertionError if it was dead-lettered instead."""
    for record in records:
        if record.event_type is None:
            reason = envelope.header(record.headers, envelope.ERROR)
            raise AssertionError(f"{provider.name}: dead-lettered ({record.error_kind}): {reason}")
    return [json.loads(record.value) for record in records]


def canonical_events(
    provider: Provider, body: bytes, headers: Mapping[str, str] | None = None
) -> list[Event]:
    """The events `body` becomes; AssertionError if it was dead-lettered instead."""
    return events_of(provider, transform(provider, body, headers))


def dead_letter(provider: Provider, body: bytes) -> tuple[str, str]:
    """(kind, reason) of the dead letter `body` becomes; AssertionError if it became events."""
    out = transform(provider, body)
    kinds = [record.error_kind for record in out if record.event_type is None]
    if len(out) != 1 or len(kinds) != 1:
        raise AssertionError(
            f"{provider.name}: not one dead letter but {[r.event_type for r in out]}"
        )
    [record] = out
    if record.topic != TOPICS.dead_letter(provider.name) or record.value != body:
        raise AssertionError(
            f"{provider.name}: a dead letter goes to {TOPICS.dead_letter(provider.name)} "
            f"with the raw body unchanged; got {record.topic}"
        )
    return record.error_kind or "", envelope.header(record.headers, envelope.ERROR) or ""


def golden_path(provider: Provider, sample: Path) -> Path:
    return golden_dir(provider) / f"{sample.stem}.json"


def read_golden(path: Path) -> list[Event]:
    loaded: list[Event] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def updating() -> bool:
    return os.environ.get(UPDATE_ENV) == "1"


def assert_matches_golden(provider: Provider, sample: Path) -> list[Event]:
    """Compare what `sample` becomes with its golden file (or rewrite it); return the events."""
    events = canonical_events(provider, sample.read_bytes())
    path = golden_path(provider, sample)
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(events), encoding="utf-8")
        return events
    if not path.exists():
        raise AssertionError(
            f"{provider.name}: {path} is missing: run with {UPDATE_ENV}=1 and review it"
        )
    expected = read_golden(path)
    if events != expected:
        raise AssertionError(
            f"{provider.name}: {sample.name} no longer gives {path.name} "
            f"({_first_difference(expected, events)}); if intended, regenerate with "
            f"{UPDATE_ENV}=1 and review the diff"
        )
    return events


def text(events: list[Event]) -> str:
    """A golden file's text: stable, readable and diffable."""
    return json.dumps(events, indent=2, ensure_ascii=False) + "\n"


def orphaned_golden_files(provider: Provider) -> list[str]:
    """Golden files without their event sample."""
    stems = {p.stem for p in event_samples(provider)}
    return sorted(p.name for p in golden_dir(provider).glob("*.json") if p.stem not in stems)


def golden_events(provider: Provider) -> list[Event]:
    """Every event of the provider's golden files, as reviewed."""
    return [
        event for path in sorted(golden_dir(provider).glob("*.json")) for event in read_golden(path)
    ]


def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    """Where two JSON values first differ, for a person: `[0].data.trip.distance_km`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            if expected.get(key, _MISSING) != actual.get(key, _MISSING):
                return _first_difference(
                    expected.get(key, _MISSING), actual.get(key, _MISSING), f"{path}.{key}"
                )
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path or 'events'}: {len(expected)} expected, {len(actual)} made"
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if left != right:
                return _first_difference(left, right, f"{path}[{index}]")
    return f"{path.lstrip('.') or 'the events'}: expected {expected!r}, made {actual!r}"


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


_MISSING: Any = _Missing()
