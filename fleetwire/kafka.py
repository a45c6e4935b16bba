"""The producers every process writes with, and a real reachability check.

Their connection options come from fleetwire.clients, like every other client's.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from fleetwire.clients import client_options
from fleetwire.connection import KafkaConnection
from fleetwire.topics import RECORD_HEADROOM_BYTES

READY_TIMEOUT_S = 2.0


def max_record_bytes(max_body_bytes: int) -> int:
    """The largest record a raw or dead-letter topic must take for bodies up to this size.

    Kafka's defaults (about 1 MB per record) are smaller than a 1 MiB body plus headers:
    without this, the largest accepted bodies could never be written and would be
    answered 503 for ever. The topics are declared with the same limit (TopicLayout).
    """
    return max_body_bytes + RECORD_HEADROOM_BYTES


def raw_partitioner(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """The partition of a raw record: CRC-32 of its key modulo the partition count.

    Every producer that writes a raw topic (the ingress, and anything writing records back
    to one, such as a replay of dead letters) must use this, so that all writes of one
    delivery id land in the same partition, in order, for a given partition count. It
    replaces Kafka's murmur2, whose pure-Python version in aiokafka costs more than
    everything else about choosing where a record goes; raw topics are only written and
    read by fleetwire, so no other client has to agree with it. A topic's partitions are
    numbered 0..n-1, so the index is the partition.
    """
    # Every raw record has a key; were one missing, it would go to the first partition.
    return zlib.crc32(key or b"") % len(all_partitions)


def raw_producer(connection: KafkaConnection, **options: Any) -> AIOKafkaProducer:
    """A durable producer for raw topics: the same partition for the same key, always."""
    return durable_producer(connection, partitioner=raw_partitioner, **options)


def durable_producer(connection: KafkaConnection, **options: Any) -> AIOKafkaProducer:
    """A producer that only reports success once every in-sync replica has the record.

    Idempotence keeps the producer's own retries from writing a record twice or out of
    order within a partition.
    """
    return AIOKafkaProducer(
        **client_options(connection),
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
