"""Raw Zubie records written straight to a raw topic, as the ingress would have written them."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetwire import traceparent
from fleetwire.envelope import RawRecord
from fleetwire.kafka import durable_producer, max_record_bytes, raw_partitioner
from processors.event import event_id
from tests.support.kafka import CONNECTION, connection
from tests.support.samples import sample

SOURCE = "zubie-main"


@dataclass(frozen=True)
class Raw:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    def expected_id(self) -> str:
        """The canonical id this delivery must get (one event per Zubie trip record)."""
        record = RawRecord.from_kafka("zubie", self.key, self.value, self.headers)
        return event_id(record, 0)


def trip(number: int, name: str = "trip_start") -> bytes:
    """A distinct Zubie trip delivery: the sample with its own trip id and key."""
    body = json.loads(sample("zubie", name))
    body["trip"]["id"] = str(1_000_000 + number)
    body["trip"]["key"] = f"trip-{number}"
    return json.dumps(body, indent=4).encode()


def raw(body: bytes, source: str = SOURCE) -> Raw:
    """The raw record the ingress writes for `body`: Zubie has no delivery id, so the key
    is the body's SHA-256."""
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    headers = [
        ("fleetwire-source", source.encode()),
        ("fleetwire-provider", b"zubie"),
        ("fleetwire-received-at", received.encode()),
        ("fleetwire-request-id", uuid.uuid4().hex.encode()),
        ("content-type", b"application/json"),
        ("traceparent", traceparent.new_trace().encode()),
    ]
    return Raw(hashlib.sha256(body).hexdigest().encode(), body, headers)


def trips(count: int) -> list[Raw]:
    return [raw(trip(n, "trip_start" if n % 2 else "trip_end")) for n in range(count)]


async def produce(
    topic: str, records: Sequence[Raw], partition: int | None = None, bootstrap: str | None = None
) -> None:
    producer = durable_producer(
        CONNECTION if bootstrap is None else connection(bootstrap),
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=max_record_bytes(1_048_576),  # bodies as large as the ingress takes
        partitioner=raw_partitioner,  # where the ingress would have put them
    )
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic, value=r.value, key=r.key, headers=r.headers, partition=partition
            )
            for r in records
        ]
        for future in futures:
            await future
    finally:
        await producer.stop()
