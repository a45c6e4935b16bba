"""Writing a poll's output: one Kafka record batch per partition, not one send per record.

`AIOKafkaProducer.send` costs tens of microseconds per record (a future, metadata and
transaction checks, the partitioner in pure Python), more than normalizing the record.
Here the records are appended straight into one batch builder per topic partition, and
each builder is handed to the producer whole. Order within a partition is kept, and a key
goes to the partition Kafka's default partitioner gives it (murmur2, as in the Java
client), so a vehicle's events are where any Kafka client would put them.

Batches are as large as the producer's `max_batch_size`, or one record when a record is
larger (a dead letter carries a body of up to `FLEETWIRE_MAX_BODY_BYTES`): the producer's
`max_request_size` check belongs to `send()` and does not apply here, and the topics
accept records of that size (`max.message.bytes`, see `fleetwire.topics`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import murmur2

from processors.output import OutRecord

MAX_REMEMBERED_KEYS = 65_536


class KeyPartitions:
    """The default partitioner's choice for a key, remembered: subjects (VINs) recur."""

    def __init__(self, max_keys: int = MAX_REMEMBERED_KEYS) -> None:
        self._max_keys = max_keys
        self._known: dict[tuple[bytes, int], int] = {}

    def of(self, key: bytes, count: int) -> int:
        known = self._known.get((key, count))
        if known is None:
            if len(self._known) >= self._max_keys:
                self._known.clear()  # cheaper than an LRU; the working set refills at once
            known = self._known[(key, count)] = (murmur2(key) & 0x7FFFFFFF) % count
        return known


class Writer:
    def __init__(self) -> None:
        self._partitions = KeyPartitions()

    async def write(self, producer: AIOKafkaProducer, outputs: Sequence[OutRecord]) -> None:
        """Send every output and wait for all acknowledgements; raise the first failure."""
        futures: list[asyncio.Future[Any]] = []
        try:
            await self._send(producer, outputs, futures)
        finally:
            # If this attempt stops half-way (producer fenced, batch abandoned), the batches
            # already queued still fail or succeed later: look at each outcome, quietly.
            for future in futures:
                future.add_done_callback(retrieve)
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _send(
        self,
        producer: AIOKafkaProducer,
        outputs: Sequence[OutRecord],
        futures: list[asyncio.Future[Any]],
    ) -> None:
        counts: dict[str, int] = {}
        builders: dict[TopicPartition, Any] = {}
        for out in outputs:
            count = counts.get(out.topic)
            if count is None:
                count = counts[out.topic] = len(await producer.partitions_for(out.topic))
            tp = TopicPartition(out.topic, self._partitions.of(out.key, count))
            builder = builders.get(tp)
            if builder is None:
                builder = builders[tp] = producer.create_batch()
            if not _append(builder, out):  # full: send it, start the next one
                futures.append(await _submit(producer, builder, tp))
                builder = builders[tp] = producer.create_batch()
                _append(builder, out)  # the first record always goes in, whatever its size
        for tp, builder in builders.items():
            futures.append(await _submit(producer, builder, tp))


def _append(builder: Any, out: OutRecord) -> bool:
    """False when the batch is full (and closed)."""
    added = builder.append(timestamp=None, key=out.key, value=out.value, headers=out.headers)
    return added is not None


async def _submit(producer: AIOKafkaProducer, builder: Any, tp: TopicPartition) -> Any:
    builder.close()  # nothing else may add to a batch once it is queued
    return await producer.send_batch(builder, tp.topic, partition=tp.partition)


def retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a write's outcome as looked at, so a failure nobody awaits is not reported."""
    if not future.cancelled():
        future.exception()
