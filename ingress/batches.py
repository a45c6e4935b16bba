"""Raw records gathered into one Kafka record batch per partition, sent once per batch.

`send_and_wait` costs a coroutine, a metadata check, the partitioner, an accumulator entry
and a record-metadata object per record: about half of what the ingress spent on a
webhook. Here a record is appended straight into its partition's open batch builder and
its request waits on a plain future; the batch goes to the producer (`send_batch`) once,
and when Kafka acknowledged it (acks=all) every request in it is answered together.

A partition has at most one batch handed to the producer and not yet acknowledged: the
records arriving meanwhile gather in the next one, which is handed over the moment the
previous one is acknowledged. The producer sends one request per broker at a time, so
that batch could not have left any sooner, and the busier the ingress, the larger its
batches. The first batch of a quiet partition goes at the end of the loop turn in which
its first record arrived, so every request handled in that turn shares it.

Records go to the partition `raw_partitioner` gives their key, as with `send`. One
`PartitionBatches` serves one producer: a producer replaced after the broker refused it
gets a new one, and the batches of the old one fail with the error that retired it.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import ProducerClosed

from fleetwire.kafka import raw_partitioner

log = logging.getLogger(__name__)


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
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
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
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
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
        headers: Sequence[tuple[str, bytes]],
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
            batch.builder.append(timestamp=None, key=key, value=value, headers=headers)
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
            outcome = self._enqueue(batch.builder, state.tp)
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

    def _enqueue(self, builder: Any, tp: TopicPartition) -> asyncio.Future[Any] | None:
        """Queue a closed batch in the producer's accumulator at once, as `send_batch` would.

        `send_batch` is a coroutine behind a shielded future: between an acknowledgement
        and the next batch being queued it took three more turns of the event loop, and
        the producer's sender, already awake, sent nothing in the meantime. Under load a
        turn lasts milliseconds. Here the next batch is queued in the same callback that
        hears the acknowledgement, before the sender looks again. The checks are those of
        `send_batch` (the partition comes from the producer's own metadata); None when the
        accumulator still holds a batch of `tp`, which `send_batch` then waits behind.
        """
        accumulator: Any = self._producer._message_accumulator
        if accumulator._closed:
            raise ProducerClosed()
        if accumulator._exception is not None:
            raise copy.copy(accumulator._exception)
        if accumulator._batches.get(tp):
            return None
        future: asyncio.Future[Any] = accumulator._append_batch(builder, tp).future
        return future

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
