"""The raw-record writer: one durable producer per process, a deadline on every write.

Records are written as record batches, one per partition and loop turn or round trip to
Kafka (`fleetwire.writing.batches`); each request still waits for its own record's acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    OutOfOrderSequenceNumber,
    UnknownProducerId,
)

from fleetwire.connection import KafkaConnection
from fleetwire.diagnosis import diagnose
from fleetwire.errors import PublishError
from fleetwire.kafka import raw_producer, reachable
from fleetwire.writing.admission import Admission, started_within
from fleetwire.writing.batches import PartitionBatches
from ingress.metrics import WRITTEN_AFTER_REFUSAL

log = logging.getLogger(__name__)

# How long our producer may stay cut off while fresh connections work before it is
# replaced: after an outage it reconnects by itself well within this.
STALE_AFTER_S = 30.0
# How often overdue writes are looked for; they are cancelled this much before their
# deadline at the earliest, never after it.
SWEEP_INTERVAL_S = 0.05


class Write:
    """One watched write; its task marks it `done` once the write is over."""

    __slots__ = ("cancelling", "deadline", "done", "expired", "task")

    def __init__(self, task: asyncio.Task[object], deadline: float) -> None:
        self.task = task
        self.deadline = deadline
        self.cancelling = task.cancelling()
        self.done = False
        self.expired = False

    def timed_out(self) -> bool:
        """On a CancelledError: was it this deadline, and nobody else, that cancelled?"""
        return self.expired and self.task.uncancel() <= self.cancelling


class Deadlines:
    """Cancels the writes that outlive a timeout, all of them from one periodic sweep.

    `asyncio.timeout` arms and disarms a timer of the event loop for every write, which
    cost the ingress several microseconds per webhook; here a write is one entry in a
    queue. All writes have the same timeout, so the queue is in deadline order and a sweep
    only looks at its front. A write is cancelled between `timeout - interval` and
    `timeout` after it started, so its answer still comes within the timeout.
    """

    def __init__(self, timeout_s: float, interval_s: float = SWEEP_INTERVAL_S) -> None:
        self._interval = min(interval_s, timeout_s / 2)
        self._budget = timeout_s - self._interval
        self._pending: deque[Write] = deque()
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="publish-deadlines")

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def watch(self) -> Write:
        """Watch the current task's write; mark the result `done` once it is over."""
        # Given the loop, current_task is a dict lookup; without, a third of a watch.
        loop = self._loop or asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None
        write = Write(task, loop.time() + self._budget)
        self._pending.append(write)
        return write

    async def _sweep_forever(self) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending
        while True:
            await asyncio.sleep(self._interval)
            now = loop.time()
            while pending and (pending[0].done or pending[0].deadline <= now):
                write = pending.popleft()
                if not write.done:
                    write.expired = True
                    write.task.cancel()


# After an outage the broker can refuse the idempotent producer's sequence for good (a
# batch it never received was given up on): aiokafka then fails every later write with
# the same error. Only a new producer, with a new producer id, writes again.
LOST_PRODUCER_STATE = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
)


class RawPublisher:
    """Writes raw records; connects in the background so the ingress can start first."""

    def __init__(
        self, connection: KafkaConnection, timeout_s: float, max_record_bytes: int
    ) -> None:
        self._connection = connection
        self._admission = Admission(connection, "ingress", log)
        self._stale_since: float | None = None
        self._timeout = timeout_s
        self._max_record_bytes = max_record_bytes
        self._producer: AIOKafkaProducer | None = None
        self._batches: PartitionBatches | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._deadlines = Deadlines(timeout_s)
        self._connected_once = asyncio.Event()

    async def start(self, wait: bool = False) -> None:
        self._deadlines.start()
        self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")
        if wait:
            await asyncio.shield(self._connecting)

    async def first_connection(self) -> None:
        """Return once a producer has started for the first time."""
        await self._connected_once.wait()

    async def _connect(self) -> None:
        # Built anew each time: a rotated password, key or token file is read again.
        producer = await self._admission.connect(self._started_producer)
        assert producer is not None  # without a stop event, it tries until it connects
        self._producer = producer
        self._batches = PartitionBatches(producer, _count_written_late)
        log.info("connected to kafka %s", self._connection.describe())
        self._connected_once.set()

    async def _started_producer(self) -> AIOKafkaProducer:
        producer = raw_producer(self._connection, max_request_size=self._max_record_bytes)
        await started_within(producer.start(), producer.stop)
        return producer

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Return once Kafka acknowledged the record (acks=all); else raise PublishError."""
        producer, batches = self._producer, self._batches
        if producer is None or batches is None:
            raise PublishError("not connected to kafka yet")
        write = self._deadlines.watch()
        try:
            acknowledged = batches.add(topic, key, value, headers)
            if acknowledged is None:  # the topic's partitions are not known yet
                acknowledged = await batches.add_later(topic, key, value, headers)
            await acknowledged
        except asyncio.CancelledError:
            if write.timed_out():
                raise PublishError(f"kafka did not acknowledge within {self._timeout}s") from None
            raise
        except LOST_PRODUCER_STATE as exc:
            self._replace(producer, exc)
            raise PublishError(f"kafka write failed: {type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            raise PublishError(f"kafka write failed: {type(exc).__name__}: {exc}") from exc
        finally:
            write.done = True

    def _replace(self, producer: AIOKafkaProducer, exc: Exception | str) -> None:
        """Retire a producer the broker no longer accepts and connect a new one."""
        if self._producer is not producer:
            return  # another request already replaced it
        why = exc if isinstance(exc, str) else type(exc).__name__
        log.warning("kafka refuses this producer's writes (%s); starting a new one", why)
        batches, self._producer, self._batches = self._batches, None, None
        retiring = asyncio.create_task(self._retire(producer, batches), name="kafka-retire")
        self._retiring.add(retiring)
        retiring.add_done_callback(self._retiring.discard)
        self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _retire(self, producer: AIOKafkaProducer, batches: PartitionBatches | None) -> None:
        # Its queued records fail with the same error and were answered 503 already.
        try:
            async with asyncio.timeout(self._timeout + 5):
                if batches is not None:
                    await batches.close()
                await producer.stop()
        except Exception as exc:  # a producer being thrown away may fail any way it likes
            log.debug("retired producer did not stop cleanly: %s", type(exc).__name__)

    async def ready(self) -> bool | str:
        """True, or why not: the failure's line (never a secret), or False."""
        producer = self._producer
        if producer is None:
            failure = self._admission.failure
            return failure.line() if failure is not None else False
        if await reachable(producer.client):
            self._stale_since = None
            return True
        failure = await diagnose(self._connection)
        # A producer keeps the credentials it was built with. If the broker refuses us, or
        # takes fresh credentials while this producer stays cut off, only a new one helps.
        now = asyncio.get_running_loop().time()
        if failure is not None:
            self._stale_since = None
        elif self._stale_since is None:
            self._stale_since = now
        stale = self._stale_since is not None and now - self._stale_since >= STALE_AFTER_S
        self._admission.note(failure)
        if (failure is not None and failure.refused) or stale:
            self._replace(producer, failure.cause if failure else "stale credentials")
        return failure.line() if failure is not None else False

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        for retiring in list(self._retiring):
            await asyncio.wait([retiring])
        if self._producer is not None:
            # What is still gathering goes out first; stop() then flushes the producer.
            if self._batches is not None:
                try:
                    async with asyncio.timeout(self._timeout + 5):
                        await self._batches.close()
                except TimeoutError:
                    log.warning("kafka did not answer the last batches; stopping anyway")
            await self._producer.stop()
            self._producer = self._batches = None
        self._deadlines.stop()


def _count_written_late(topic: str, count: int) -> None:
    # Raw topics are `{prefix}.raw.{provider}`: the provider is a bounded label.
    WRITTEN_AFTER_REFUSAL.labels(topic.rsplit(".", 1)[-1]).inc(count)
