"""Reading what the pipeline wrote, from the real broker."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from fleetwire import clients
from fleetwire.connection import KafkaConnection, KafkaSecurity

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
# The suite's own clients connect as the processes under test do: with the KAFKA_SECURITY_*,
# KAFKA_SASL_* and KAFKA_SSL_* settings of the environment (none: plain text).
SECURITY = KafkaSecurity.from_env(os.environ)
CONNECTION = KafkaConnection(BOOTSTRAP, SECURITY)


def connection(bootstrap: str = BOOTSTRAP) -> KafkaConnection:
    """How the suite reaches the broker at `bootstrap` (the shared broker's security)."""
    return KafkaConnection(bootstrap, SECURITY)


async def read_all(
    topic: str,
    *,
    expect: int | None = None,
    timeout: float = 20.0,
    until: Callable[[list[Any]], bool] | None = None,
    isolation_level: str = "read_committed",
    bootstrap: str | KafkaConnection = BOOTSTRAP,
) -> list[Any]:
    """Every record of `topic` from the beginning, waiting up to `timeout` for `expect`."""
    reach = bootstrap if isinstance(bootstrap, KafkaConnection) else connection(bootstrap)
    consumer = clients.consumer(
        reach,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level=isolation_level,
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic, timeout)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
            if expect is not None and len(records) >= expect:
                break
            if until is not None and until(records):
                break
            if expect is None and until is None and not batch:
                break
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str, timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} does not exist")
        await consumer._client.force_metadata_update()
        await consumer._client.add_topic(topic)
        await asyncio.sleep(0.1)
