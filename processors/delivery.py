"""How a processed batch reaches Kafka: the two delivery modes.

`AtLeastOnce`: one idempotent producer; the offsets of a poll are committed through the
consumer group only after every canonical and dead-letter record of it is acknowledged.
A crash between the two re-processes the poll: duplicates, never loss.

`Transactional` (exactly once): each raw partition is processed by its own transactional
producer, and a partition's outputs and its offset commit go into one transaction.
aiokafka sends no consumer-group metadata with transactional offsets (no KIP-447), so
the broker cannot fence a zombie by group generation. Instead the transactional id is
derived from the input partition (`{group}.{topic}.{partition}`): whoever takes over a
partition initializes that id, which aborts the previous owner's open transaction and
fences it for good; a fenced owner's later writes and commits fail. The caller must read
the committed offset only after `acquire` returned, so it sees every commit of the
previous owner.

Both report, per partition, whether the batch was committed, must be retried from the
last committed offset, or was lost to another owner.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalOperation, KafkaError, ProducerFenced

from fleetwire.connection import KafkaConnection
from fleetwire.kafka import durable_producer
from fleetwire.logs import record_ref
from fleetwire.writing import producers
from fleetwire.writing.batches import Writer
from processors.batch import Batch

log = logging.getLogger(__name__)

T = TypeVar("T")
Interrupted = Callable[[], bool]

PATIENCE_S = 1.0  # how often a long wait checks whether it should give up
WARN_AFTER_S = 10.0


class Outcome(enum.Enum):
    COMMITTED = "committed"
    RETRY = "retry"  # nothing committed; process again from the last committed offset
    LOST = "lost"  # another process owns the partition now


class Abandoned(Exception):
    """A wait was given up because the partition is being revoked or the process stops."""


class Delivery(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def acquire(self, tp: TopicPartition) -> None: ...
    async def release(self, tp: TopicPartition) -> None: ...
    async def set_aside(self, tp: TopicPartition, generation: int | None) -> None: ...
    async def reclaim(self, tps: Collection[TopicPartition], generation: int | None) -> None: ...
    async def deliver(self, batches: Sequence[Batch]) -> dict[TopicPartition, Outcome]: ...


async def patiently(work: Awaitable[T], interrupted: Interrupted, what: str) -> T:
    """Await `work`; give it up only once `interrupted()` says so, never merely for time.

    A healthy write finishes within milliseconds even while a revocation is pending; a
    stuck one (Kafka down) is abandoned at the next check after the interruption.
    """
    task = asyncio.ensure_future(work)
    warned = False
    waited = 0.0
    while True:
        done, _ = await asyncio.wait({task}, timeout=PATIENCE_S)
        if done:
            return task.result()
        waited += PATIENCE_S
        if interrupted():
            task.cancel()
            raise Abandoned(what)
        if waited >= WARN_AFTER_S and not warned:
            warned = True
            log.warning("%s: no answer from Kafka for %.0fs; still waiting", what, waited)


def _describe(batches: Sequence[Batch]) -> str:
    return ", ".join(record_ref(b.tp.topic, b.tp.partition, b.next_offset - 1) for b in batches)


class AtLeastOnce:
    def __init__(
        self, connection: KafkaConnection, consumer: AIOKafkaConsumer, interrupted: Interrupted
    ) -> None:
        self._connection = connection
        self._consumer = consumer
        self._interrupted = interrupted
        self._producer = durable_producer(connection, linger_ms=5)
        self._writer = Writer()

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await producers.close(self._producer)

    async def acquire(self, tp: TopicPartition) -> None:
        return None  # the group's own offset commits are checked against its generation

    async def release(self, tp: TopicPartition) -> None:
        return None

    async def set_aside(self, tp: TopicPartition, generation: int | None) -> None:
        return None

    async def reclaim(self, tps: Collection[TopicPartition], generation: int | None) -> None:
        return None

    async def deliver(self, batches: Sequence[Batch]) -> dict[TopicPartition, Outcome]:
        outputs = [o for b in batches for o in b.outputs]
        offsets = {b.tp: b.next_offset for b in batches}
        try:
            if producers.stopped(self._producer):
                await self._renew()
            await patiently(
                self._writer.write(self._producer, outputs),
                self._interrupted,
                f"writing {len(outputs)} records",
            )
            await patiently(self._consumer.commit(offsets), self._interrupted, "committing offsets")
        except (KafkaError, Abandoned) as exc:
            # Nothing was committed: the batch is read again from the last commit, and
            # what was written meanwhile is written again (at least once).
            log.warning(
                "batch up to %s not committed (%s: %s); it will be processed again",
                _describe(batches),
                type(exc).__name__,
                exc,
            )
            return dict.fromkeys(offsets, Outcome.RETRY)
        return dict.fromkeys(offsets, Outcome.COMMITTED)

    async def _renew(self) -> None:
        """Replace a producer whose sender stopped on a fatal error (say, a sequence gap
        after a refused write): it would refuse every write from now on."""
        log.warning(
            "the producer stopped (%s); starting a new one", producers.stopped(self._producer)
        )
        await producers.close(self._producer)
        self._producer = durable_producer(self._connection, linger_ms=5)
        await self._producer.start()


class Transactional:
    def __init__(
        self, connection: KafkaConnection, group_id: str, interrupted: Interrupted
    ) -> None:
        self._connection = connection
        self._group_id = group_id
        self._interrupted = interrupted
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}
        # Revoked in a rebalance: producer and the group generation it was revoked in.
        self._aside: dict[TopicPartition, tuple[AIOKafkaProducer, int]] = {}
        self._kept: set[TopicPartition] = set()  # given back: the next acquire keeps it
        self._writer = Writer()

    def transactional_id(self, tp: TopicPartition) -> str:
        return f"{self._group_id}.{tp.topic}.{tp.partition}"

    async def start(self) -> None:
        return None  # producers come and go with the partitions

    async def stop(self) -> None:
        await self.reclaim((), None)
        await asyncio.gather(*(self.release(tp) for tp in list(self._producers)))

    def producer(self, tp: TopicPartition) -> AIOKafkaProducer | None:
        """The producer that writes `tp`'s output now, if any."""
        return self._producers.get(tp)

    async def acquire(self, tp: TopicPartition) -> None:
        """Take over `tp`'s transactional id: the previous owner's open transaction is
        completed or aborted, and that owner can write no more.

        A partition given back by the generation right after the one that revoked it had
        no other owner in between: its producer still holds the id, and is kept.
        """
        if tp in self._kept:
            self._kept.discard(tp)
            return
        await self.release(tp)
        producer = durable_producer(
            self._connection, linger_ms=5, transactional_id=self.transactional_id(tp)
        )
        try:
            await producer.start()  # InitProducerId: bumps the epoch, fencing the old owner
        except BaseException:
            await producers.close(producer)
            raise
        self._producers[tp] = producer

    async def release(self, tp: TopicPartition) -> None:
        self._kept.discard(tp)
        producer = self._producers.pop(tp, None)
        if producer is not None:
            await self._close(tp, producer)

    async def _close(self, tp: TopicPartition, producer: AIOKafkaProducer) -> None:
        await producers.abort_open_transaction(producer, self.transactional_id(tp))
        producers.retrieve_outcome(producer)
        await producers.close(producer)

    async def set_aside(self, tp: TopicPartition, generation: int | None) -> None:
        """`tp` was revoked by a rebalance of group generation `generation` (None: this
        member had lost its place in the group). Its producer is kept until the
        assignment that follows says whether `tp` comes back (`reclaim`).

        Starting 30 transactional producers (InitProducerId each) and closing as many
        made a member joining the group cost every member seconds of processing.
        """
        self._kept.discard(tp)
        producer = self._producers.pop(tp, None)
        if producer is None:
            return
        if generation is None or producers.stopped(producer):
            await self._close(tp, producer)
            return
        await producers.abort_open_transaction(producer, self.transactional_id(tp))
        self._aside[tp] = (producer, generation)

    async def reclaim(self, tps: Collection[TopicPartition], generation: int | None) -> None:
        """Keep the producers of `tps` (assigned in `generation`) set aside by the very
        generation before; close every other one set aside."""
        aside, self._aside = self._aside, {}
        closing = []
        for tp, (producer, revoked_in) in aside.items():
            if tp in tps and generation is not None and generation == revoked_in + 1:
                self._producers[tp] = producer
                self._kept.add(tp)
            else:
                closing.append(self._close(tp, producer))
        await asyncio.gather(*closing)
        if aside:
            log.info(
                "rebalance: kept the producers of %d partitions, closed %d",
                len(aside) - len(closing),
                len(closing),
            )

    async def deliver(self, batches: Sequence[Batch]) -> dict[TopicPartition, Outcome]:
        outcomes = await asyncio.gather(*(self._deliver(b) for b in batches))
        return {b.tp: outcome for b, outcome in zip(batches, outcomes, strict=True)}

    async def _deliver(self, batch: Batch) -> Outcome:
        producer = self._producers.get(batch.tp)
        if producer is None:
            return Outcome.RETRY
        what = f"transaction up to {_describe([batch])}"
        try:
            if producers.fenced(producer):
                raise ProducerFenced()
            await patiently(self._transact(producer, batch), self._interrupted, what)
        except ProducerFenced:
            log.warning("%s: another processor took over this partition; leaving it", what)
            return Outcome.LOST
        except (KafkaError, Abandoned, IllegalOperation, AssertionError) as exc:
            # aiokafka reports some invalid transaction states as AssertionError.
            log.warning(
                "%s not committed (%s: %s); the partition resumes from its last commit",
                what,
                type(exc).__name__,
                exc,
            )
            return Outcome.LOST if producers.fenced(producer) else Outcome.RETRY
        return Outcome.COMMITTED

    async def _transact(self, producer: AIOKafkaProducer, batch: Batch) -> None:
        await producer.begin_transaction()
        # aiokafka commits a transaction even if one of its writes failed, so every write
        # is confirmed before the offsets join the transaction.
        await self._writer.write(producer, batch.outputs)
        await producer.send_offsets_to_transaction({batch.tp: batch.next_offset}, self._group_id)
        await producer.commit_transaction()
