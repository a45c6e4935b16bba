"""Kafka client construction shared by every process, and a real reachability check."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer

from fleetwire.topics import RECORD_HEADROOM_BYTES

READY_TIMEOUT_S = 2.0


def max_record_bytes(max_body_bytes: int) -> int:
    """The largest record a raw or dead-letter topic must take for bodies up to this size.

    Kafka's defaults (about 1 MB per record) are smaller than a 1 MiB body plus headers:
    without this, the largest accepted bodies could never be written and would be
    answered 503 for ever. The topics are declared with the same limit (TopicLayout).
    """
    return max_body_bytes + RECORD_HEADROOM_BYTES


def durable_producer(bootstrap_servers: str, **options: Any) -> AIOKafkaProducer:
    """A producer that only reports success once every in-sync replica has the record.

    Idempotence keeps the producer's own retries from writing a record twice or out of
    order within a partition.
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=options.pop("linger_ms", 2),
        max_batch_size=options.pop("max_batch_size", 256 * 1024),
        request_timeout_ms=options.pop("request_timeout_ms", 10_000),
        retry_backoff_ms=options.pop("retry_backoff_ms", 100),
        **options,
    )


async def reachable(client: Any, timeout: float = READY_TIMEOUT_S) -> bool:
    """True if some broker answers a metadata request now, not merely at some earlier time."""
    try:
        await asyncio.wait_for(client.fetch_all_metadata(), timeout)
    except Exception:  # any failure to answer means not ready
        return False
    return True
