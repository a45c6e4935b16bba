"""Records appended straight into Kafka record batches, one per partition, sent whole.

`AIOKafkaProducer.send` costs a coroutine, a future, metadata and transaction checks, the
partitioner in pure Python and a record-metadata object per record: more than
normalizing a record, about half of what the ingress spent on a webhook. Both writers
here append records into one batch builder per topic partition and hand each builder
to the producer whole.

`PartitionBatches` (the ingress): each request waits for its own record. A partition has
at most one batch handed to the producer and not yet acknowledged: the records arriving
meanwhile gather in the next one, which is queued the moment the previous one is
acknowledged. The producer sends one request per broker at a time, so that batch could
not have left any sooner, and the busier the ingress, the larger its batches. The first
batch of a quiet partition goes at the end of the loop turn in which its first record
arrived, so every request handled in that turn shares it. Records go to the partition
`raw_partitioner` gives their key, as with `send`. One `PartitionBatches` serves one
producer: a producer replaced after the broker refused it gets a new one, and the
batches of the old one fail with the error that retired it.

`Writer` (the processors): a poll's output at once, and every acknowledgement awaited.
Order within a partition is kept, and a key goes to the partition Kafka's default
partitioner gives it (murmur2, as in the Java client), so a vehicle's events are where
any Kafka client would put them. Batches are as large as the producer's
`max_batch_size`, or one record when a record is larger (a dead letter carries a body
of up to `FLEETWIRE_MAX_BODY_BYTES`): the producer's `max_request_size` check belongs to
`send()` and does not apply here, and the topics accept records of that size
(`max.message.bytes`, see `fleetwire.topics`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import murmur2

from fleetwire.kafka import raw_partitioner
from fleetwire.writing import internals

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class Record(Protocol):
    """A record to write where its topic's default partitioner puts its key."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> bytes: ...
    @property
    def value(self) -> bytes: ...
    @property
    def headers(self) -> Headers: ...


def append(builder: Any, key: bytes, value: bytes, headers: Headers) -> bool:
    """Add a record to a batch; False when the batch is full (and closed)."""
    added = builder.append(timestamp=None, key=key, value=value, headers=headers)
    return added is not None


class _Batch:
    """One record batch being filled, and the requests waiting for its acknowledgement."""

    __slots__ = ("builder", "waiters")

    def __init__(self, builder: Any) -> None:
        self.builder = builder
        self.waiters: list[asyncio.Future[None]] = []

    def settle(self, outcome: asyncio.Future[Any]) -> int:
        """Answer every request in the batch as Kafka answered the batch.

        Returns how many of its records were written although their request had already
        given up (it was answered 503 at its deadline).
        """
        error = asyncio.CancelledError() if outcome.cancelled() else outcome.exception()
        late = 0
        for waiter in self.waiters:
            if waiter.done():  # its request gave up (deadline, disconnect)
                late += error is None
                continue
            if error is None:
                waiter.set_result(None)
            else:
                # A copy each: one exception raised in many tasks would gather all
                # their tracebacks.
                waiter.set_exception(copy.copy(error))
        return late

    def fail(self, error: BaseException) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(copy.copy(error))


class _Partition:
    """The batches of one topic partition: the one at Kafka, and those gathering."""

    __slots__ = ("gathering", "sent", "tp")

    def __init__(self, tp: TopicPartition) -> None:
        self.tp = tp
        self.gathering: deque[_Batch] = deque()  # the last one is open for records
        self.sent = False  # a batch was handed to the producer and is not answered yet


class PartitionBatches:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        written_late: Callable[[str, int], None] | None = None,
    ) -> None:
        self._producer = producer
        # Told (topic, count) when records are written after their requests gave up.
        self._written_late = written_late
        self._loop = asyncio.get_running_loop()
        self._partitions: dict[tuple[str, int], _Partition] = {}
        self._due: list[_Partition] = []  # partitions to hand a batch over at the turn's end
        self._flush_scheduled = False
        self._sending: set[asyncio.Task[None]] = set()
        self._closed = False

    def add(
        self, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> asyncio.Future[None] | None:
        """Queue a record; the future is done once Kafka acknowledged it or refused it.

        None when the producer does not know the topic's partitions yet: `add_later`.
        """
        partitions = self._producer.client.cluster.partitions_for_topic(topic)
        if not partitions:
            return None
        return self._append(
            topic, raw_partitioner(key, partitions, partitions), key, value, headers
        )

    async def add_later(
        self, topic: str, key: bytes, value: bytes, headers: Headers
    ) -> asyncio.Future[None]:
        """`add` for a topic whose metadata must be fetched first (the first write)."""
        partitions = await self._producer.partitions_for(topic)
        return self._append(
            topic, raw_partitioner(key, partitions, partitions), key, value, headers
        )

    def _append(
        self,
        topic: str,
        partition: int,
        key: bytes,
        value: bytes,
        headers: Headers,
    ) -> asyncio.Future[None]:
        if self._closed:
            raise RuntimeError("the producer of these batches is stopping")
        state = self._partitions.get((topic, partition))
        if state is None:
            state = self._partitions[topic, partition] = _Partition(
                TopicPartition(topic, partition)
            )
        gathering = state.gathering
        batch = gathering[-1] if gathering else None
        if (
            batch is None
            or batch.builder.append(timestamp=None, key=key, value=value, headers=headers) is None
        ):
            # The first record always goes into an empty batch, whatever its size.
            batch = _Batch(self._producer.create_batch())
            append(batch.builder, key, value, headers)
            gathering.append(batch)
            if not state.sent and len(gathering) == 1:
                self._due.append(state)
                self._schedule_flush()
        waiter: asyncio.Future[None] = self._loop.create_future()
        batch.waiters.append(waiter)
        return waiter

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        due, self._due = self._due, []
        for state in due:
            if not state.sent and state.gathering:
                self._send_next(state)

    def _send_next(self, state: _Partition) -> None:
        batch = state.gathering.popleft()
        state.sent = True
        batch.builder.close()  # nothing may be added once the producer has it
        try:
            # Queued in the same callback that hears the previous acknowledgement, before
            # the producer's sender looks again: `send_batch` took three more loop turns.
            outcome = internals.queue_batch(self._producer, batch.builder, state.tp)
        except Exception as exc:  # refused before it was queued: its requests hear why
            batch.fail(exc)
            state.sent = False
            if state.gathering:  # the next batch tries again, in the next loop turn
                self._due.append(state)
                self._schedule_flush()
            return
        if outcome is None:  # the producer still holds a batch of this partition
            task = self._loop.create_task(self._send(state, batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            return
        outcome.add_done_callback(lambda done: self._acknowledged(state, batch, done))

    async def _send(self, state: _Partition, batch: _Batch) -> None:
        tp = state.tp
        try:
            outcome = await self._producer.send_batch(
                batch.builder, tp.topic, partition=tp.partition
            )
        except Exception as exc:  # refused before it was queued: its requests hear why
            batch.fail(exc)
            self._answered(state)
            return
        outcome.add_done_callback(lambda done: self._acknowledged(state, batch, done))

    def _acknowledged(self, state: _Partition, batch: _Batch, outcome: asyncio.Future[Any]) -> None:
        late = batch.settle(outcome)
        if late and self._written_late is not None:
            self._written_late(state.tp.topic, late)
        self._answered(state)

    def _answered(self, state: _Partition) -> None:
        state.sent = False
        if state.gathering:
            self._send_next(state)

    async def close(self) -> None:
        """Hand over what is still gathering and wait until each batch is answered."""
        self._closed = True
        self._flush()
        while self._sending or any(p.sent or p.gathering for p in self._partitions.values()):
            if self._sending:
                await asyncio.wait(list(self._sending))
            else:
                await asyncio.sleep(0.01)


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

    async def write(self, producer: AIOKafkaProducer, outputs: Sequence[Record]) -> None:
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
        outputs: Sequence[Record],
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
            if not append(
                builder, out.key, out.value, out.headers
            ):  # full: send it, start the next one
                futures.append(await _submit(producer, builder, tp))
                builder = builders[tp] = producer.create_batch()
                append(
                    builder, out.key, out.value, out.headers
                )  # the first record always goes in, whatever its size
        for tp, builder in builders.items():
            futures.append(await _submit(producer, builder, tp))


async def _submit(producer: AIOKafkaProducer, builder: Any, tp: TopicPartition) -> Any:
    builder.close()  # nothing else may add to a batch once it is queued
    return await producer.send_batch(builder, tp.topic, partition=tp.partition)


def retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a write's outcome as looked at, so a failure nobody awaits is not reported."""
    if not future.cancelled():
        future.exception()
