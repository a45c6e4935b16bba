"""The drain's raw records: every provider's test samples, in proportion, as the ingress
would have written them.

Providers come from the registry of installed providers, each with its normalizer, that
receive webhooks (a source in the benchmark's sources): each provider's valid samples
are signed by its source's verifier, as in the HTTP mix, so
handshakes (Smartcar VERIFY) are left out and the headers a verifier keeps (its
`delivery_headers`) are there. Providers
weigh the same whatever their number of samples: round-robin over providers, each
cycling through its own samples. Every record gets a key of its own, so the processor's
de-duplication window never drops one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from multidict import CIMultiDict

from bench.broker import Record, record_bytes
from bench.mix import SAMPLES, sample_bodies, sign
from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping
from ingress import trace
from ingress.sources import Source
from providers.registry import installed


@dataclass(frozen=True)
class Sample:
    provider: str
    source: str
    name: str  # where it came from, for the report
    body: bytes
    headers: tuple[tuple[str, bytes], ...]  # what the verifier keeps of the request's


def samples(
    sources: Mapping[str, Source], providers: Sequence[str], samples_dir: Path = SAMPLES
) -> dict[str, list[Sample]]:
    """Every provider's deliveries (handshakes left out), each from its first source."""
    found: dict[str, list[Sample]] = {}
    now = time.time()
    for provider in sorted(providers):
        source = next((s for _, s in sorted(sources.items()) if s.provider == provider), None)
        bodies = sample_bodies(provider, samples_dir)
        if source is None or not bodies:
            continue
        verifier = installed().verifier(source)
        kept = []
        for path, body in zip(_names(provider, samples_dir), bodies, strict=True):
            signed = sign(verifier, body, now)
            if signed is None:
                continue
            view = CIMultiDict(signed)
            headers = tuple(
                (name.lower(), view[name].encode())
                for name in verifier.delivery_headers
                if name in view
            )
            kept.append(Sample(provider, source.name, path, body, headers))
        if kept:
            found[provider] = kept
    return found


def _names(provider: str, samples_dir: Path) -> list[str]:
    paths = sorted((samples_dir / provider).glob("*.json"))
    return [p.name for p in paths if not p.name.endswith(".invalid.json")]


def cycle(by_provider: Mapping[str, Sequence[Sample]]) -> list[Sample]:
    """One period of the mix: round-robin over providers, each cycling its samples, until
    every sample came once."""
    lists = [list(found) for _, found in sorted(by_provider.items()) if found]
    if not lists:
        raise ValueError("no provider has a sample to drain")
    rounds = max(len(found) for found in lists)
    return [found[i % len(found)] for i in range(rounds) for found in lists]


def raw_records(
    period: Sequence[Sample], run_id: str, count: int, topic_of: Callable[[str], str]
) -> Iterator[tuple[str, Record]]:
    """`count` records cycling through `period`: (raw topic, (key, value, headers))."""
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    stamp = received.encode()
    for index in range(count):
        sample = period[index % len(period)]
        key = hashlib.sha256(b"%s/%s/%d" % (sample.body, run_id.encode(), index)).hexdigest()
        headers = [
            ("fleetwire-source", sample.source.encode()),
            ("fleetwire-provider", sample.provider.encode()),
            ("fleetwire-received-at", stamp),
            ("fleetwire-request-id", f"{run_id}-{index:09d}".encode()),
            ("content-type", b"application/json"),
            trace.raw_header({}),  # the ingress starts a trace for every delivery
            *sample.headers,
        ]
        yield topic_of(sample.provider), (key.encode(), sample.body, headers)


def events_of(sample: Sample) -> int | None:
    """The canonical events the processor's normalizer makes of a sample: none for a ping
    (a test delivery, counted and dropped), None if it rejects it (a dead letter)."""
    normalize = installed().normalizers[sample.provider]
    headers = [("fleetwire-provider", sample.provider.encode()), *sample.headers]
    headers.append(("fleetwire-source", sample.source.encode()))
    record = RawRecord.from_kafka(sample.provider, b"key", sample.body, headers)
    try:
        return len(normalize(record))
    except Ping:
        return 0
    except Exception:  # whatever the normalizer rejects becomes a dead letter
        return None


@dataclass(frozen=True)
class Volume:
    """What a run of records carries: counts and bytes, values apart from the rest."""

    records: int = 0
    value_bytes: int = 0
    other_bytes: int = 0  # keys and headers

    def add(self, record: Record) -> Volume:
        key, value, headers = record
        return Volume(
            self.records + 1,
            self.value_bytes + len(value),
            self.other_bytes + record_bytes(key, value, headers) - len(value),
        )

    @property
    def total_bytes(self) -> int:
        return self.value_bytes + self.other_bytes


def describe(
    period: Sequence[Sample], count: int, events_of: Callable[[Sample], int | None]
) -> dict[str, Any]:
    """The mix of `count` records: per provider its records, average raw body bytes and
    canonical events per record (`events_of` gives a sample's events, None if rejected)."""
    full, rest = divmod(count, len(period))
    weights = [full + (1 if i < rest else 0) for i in range(len(period))]
    events = [events_of(sample) for sample in period]
    providers: dict[str, dict[str, Any]] = {}
    for sample, weight, found in zip(period, weights, events, strict=True):
        entry = providers.setdefault(
            sample.provider, {"records": 0, "body_bytes": 0, "events": 0, "rejected": 0}
        )
        entry["records"] += weight
        entry["body_bytes"] += weight * len(sample.body)
        entry["events"] += weight * (found or 0)
        entry["rejected"] += weight if found is None else 0
    total = sum(e["records"] for e in providers.values())
    shown = {
        provider: {
            "records": e["records"],
            "share": round(e["records"] / total, 3) if total else 0.0,
            "avg_body_bytes": round(e["body_bytes"] / e["records"], 1) if e["records"] else 0.0,
            "events_per_record": round(e["events"] / e["records"], 3) if e["records"] else 0.0,
            "rejected": e["rejected"],
            "samples": len({s.name for s in period if s.provider == provider}),
        }
        for provider, e in sorted(providers.items())
    }
    body = sum(e["body_bytes"] for e in providers.values())
    events = sum(e["events"] for e in providers.values())
    return {
        "records": total,
        "events": events,
        "avg_body_bytes": round(body / total, 1) if total else 0.0,
        "events_per_record": round(events / total, 3) if total else 0.0,
        "providers": shown,
    }
