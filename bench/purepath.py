"""CPU per record of the processor's pure path: decode, normalize, encode, bookkeeping.

    python -m bench.purepath [--records 20000] [--rounds 5] [--provider NAME] [--profile]

Every provider's valid samples in turn (a mixed drain), each made a raw record as the
ingress writes it, planned in batches of 5,000 as the consume loop does; no Kafka. CPU
time (process_time), not wall time: the machine is shared. `--profile` prints cProfile's
top functions by own time instead.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import TopicPartition

from bench.mix import sample_bodies
from fleetwire import traceparent
from fleetwire.envelope import RawRecord
from fleetwire.topics import TopicNames
from processors.batch import plan
from processors.dedup import DedupWindow
from processors.output import Transformer
from providers.registry import installed

BATCH = 5000
NORMALIZERS = installed().normalizers


@dataclass(frozen=True)
class Consumed:
    """The fields of aiokafka's ConsumerRecord that the processor reads."""

    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def canonical_samples(
    transformer: Transformer, providers: Sequence[str]
) -> list[tuple[str, bytes]]:
    """Each provider's samples that become canonical events (not challenges, not pings)."""
    kept = []
    for provider in providers:
        for body in sample_bodies(provider):
            raw = RawRecord.from_kafka(
                provider, b"k", body, _headers(provider, "2025-01-01T00:00:00Z")
            )
            try:
                NORMALIZERS[provider](raw)
            except Exception:  # noqa: S112 - a sample the processor does not turn into events
                continue
            kept.append((provider, body))
    return kept


def records(samples: Sequence[tuple[str, bytes]], count: int) -> dict[str, list[Consumed]]:
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    providers = sorted({p for p, _ in samples})
    out: dict[str, list[Consumed]] = {p: [] for p in providers}
    for index in range(count):
        provider, body = samples[index % len(samples)]
        headers = _headers(provider, received)
        key = hashlib.sha256(body + index.to_bytes(8)).hexdigest().encode()
        batch = out[provider]
        batch.append(Consumed(len(batch), key, body, headers))
    return out


def _headers(provider: str, received: str) -> list[tuple[str, bytes]]:
    """As the ingress records them, with the delivery headers a provider's normalizer reads."""
    headers = [
        ("fleetwire-source", provider.encode()),
        ("fleetwire-provider", provider.encode()),
        ("fleetwire-received-at", received.encode()),
        ("fleetwire-request-id", uuid.uuid4().hex.encode()),
        ("content-type", b"application/json"),
        ("traceparent", traceparent.new_trace().encode()),
    ]
    if provider == "telematica":  # its signed timestamp: the event's time
        headers.append(("svix-timestamp", str(int(time.time())).encode()))
    return headers


def drain(transformer: Transformer, consumed: dict[str, list[Consumed]]) -> tuple[int, int]:
    window = DedupWindow(0)
    events = 0
    total = 0
    for provider, messages in consumed.items():
        tp = TopicPartition(f"bench.raw.{provider}", 0)
        for start in range(0, len(messages), BATCH):
            chunk = messages[start : start + BATCH]
            batch = plan(transformer, window, provider, tp, chunk, position=None)
            events += sum(1 for o in batch.outputs if o.event_type is not None)
            total += len(chunk)
    return total, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--provider", action="append")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = parser.parse_args()
    providers = args.provider or sorted(NORMALIZERS)
    transformer = Transformer(TopicNames("bench"), NORMALIZERS)
    consumed = records(canonical_samples(transformer, providers), args.records)
    drain(transformer, consumed)  # warm caches (VINs, partitions) as a running process has
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        drain(transformer, consumed)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)
        return
    for _ in range(args.rounds):
        started = time.process_time()
        total, events = drain(transformer, consumed)
        spent = time.process_time() - started
        print(
            f"{total} records, {events} events: {spent / total * 1e6:.2f} µs/record, "
            f"{spent / events * 1e6:.2f} µs/event"
        )


if __name__ == "__main__":
    main()
