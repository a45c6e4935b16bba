"""One source's writes to Kafka: each page's raw records and its new position, in one
transaction.

The transactional id is `{prefix}.poll.{source}`. Starting the producer (InitProducerId)
completes or aborts the open transaction of any earlier poller of the source and fences
it for good: its later writes and commits fail, and it stops polling the source. The
positions are read only after that, with read_committed, up to the end: every page the
earlier poller committed is in them, and nothing it did not commit is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, ProducerFenced

from fleetwire import clients
from fleetwire.connection import KafkaConnection
from fleetwire.diagnosis import start_client
from fleetwire.errors import FleetwireError
from fleetwire.kafka import raw_partitioner, raw_producer
from poll.records import RawOut

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0
# A page not committed by then (Kafka unreachable: aiokafka would retry for ever) is given
# up and aborted; the poller starts again from the committed positions.
TRANSACTION_TIMEOUT_S = 30.0
READ_TIMEOUT_MS = 500


class Fenced(FleetwireError):
    """Another poller took over this source's transactional id."""


class TransactionFailed(FleetwireError):
    """Nothing of the page was committed; start again from the committed positions."""


def transactional_id(prefix: str, source: str) -> str:
    return f"{prefix}.poll.{source}"


class SourceTransactions:
    def __init__(
        self, connection: KafkaConnection, txn_id: str, raw_topic: str, positions_topic: str
    ) -> None:
        self._connection = connection
        self._txn_id = txn_id
        self._raw_topic = raw_topic
        self._positions_topic = positions_topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Take over the source: fences the poller that held it before (KafkaUnavailable)."""
        await self.close()
        producer = raw_producer(self._connection, transactional_id=self._txn_id, linger_ms=5)
        await start_client(producer, self._connection)
        self._producer = producer

    async def committed_positions(self) -> list[tuple[bytes | None, bytes | None]]:
        """Every committed record of the positions topic, in order, up to its end now."""
        return await read_committed(self._connection, self._positions_topic)

    async def commit(self, records: Sequence[RawOut], key: bytes, position: bytes) -> None:
        """The page's records and its position: both committed, or neither (raises)."""
        producer = self._producer
        if producer is None:
            raise TransactionFailed("no producer; start() first")
        try:
            await asyncio.wait_for(
                self._transact(producer, records, key, position), TRANSACTION_TIMEOUT_S
            )
        except Exception as exc:  # classified below; never committed
            if isinstance(exc, ProducerFenced) or _fenced(producer):
                raise Fenced(f"{self._txn_id}: another poller took over") from None
            await self._abort(producer)
            raise TransactionFailed(f"{type(exc).__name__}: {exc}") from None

    async def _transact(
        self, producer: AIOKafkaProducer, records: Sequence[RawOut], key: bytes, position: bytes
    ) -> None:
        await producer.begin_transaction()
        futures: list[asyncio.Future[Any]] = []
        try:
            await self._send_batches(producer, records, futures)
            futures.append(await producer.send(self._positions_topic, position, key))
            # aiokafka would commit even after a failed write: every one is confirmed first.
            await asyncio.gather(*futures)
        finally:
            for future in futures:  # looked at, so an abandoned write is not reported
                future.add_done_callback(_retrieve)
        await producer.commit_transaction()

    async def _send_batches(
        self,
        producer: AIOKafkaProducer,
        records: Sequence[RawOut],
        futures: list[asyncio.Future[Any]],
    ) -> None:
        """The records appended straight into one batch per partition: `send()` per record
        costs more than everything else the poller does with an entity. Each goes to the
        partition `raw_partitioner` gives its key, as with every raw-topic write."""
        partitions = sorted(await producer.partitions_for(self._raw_topic))
        builders: dict[int, Any] = {}
        for record in records:
            partition = raw_partitioner(record.key, partitions, partitions)
            builder = builders.get(partition)
            if builder is None:
                builder = builders[partition] = producer.create_batch()
            if (
                builder.append(
                    timestamp=None, key=record.key, value=record.value, headers=record.headers
                )
                is None
            ):  # full: send it, start the next one
                futures.append(await self._submit(producer, builder, partition))
                builder = builders[partition] = producer.create_batch()
                builder.append(
                    timestamp=None, key=record.key, value=record.value, headers=record.headers
                )
        for partition, builder in builders.items():
            futures.append(await self._submit(producer, builder, partition))

    async def _submit(self, producer: AIOKafkaProducer, builder: Any, partition: int) -> Any:
        builder.close()
        return await producer.send_batch(builder, self._raw_topic, partition=partition)

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        if _in_transaction(producer):
            await self._abort(producer)
        try:
            await asyncio.wait_for(producer.stop(), CLOSE_TIMEOUT_S)
        except (KafkaError, TimeoutError) as exc:
            log.info("producer %s did not close cleanly: %s", self._txn_id, exc)

    async def _abort(self, producer: AIOKafkaProducer) -> None:
        # Abort rather than leave it to the transaction timeout: an open transaction holds
        # back every read_committed reader of the raw topic.
        if not _in_transaction(producer):
            return
        try:
            await asyncio.wait_for(producer.abort_transaction(), CLOSE_TIMEOUT_S)
        except (KafkaError, TimeoutError, AssertionError) as exc:
            log.info("could not abort the open transaction of %s: %s", self._txn_id, exc)


async def read_committed(
    connection: KafkaConnection, topic: str
) -> list[tuple[bytes | None, bytes | None]]:
    """(key, value) of every committed record of `topic` from its start to its end now."""
    consumer = clients.consumer(
        connection,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await start_client(consumer, connection)
    try:
        await consumer._client.add_topic(topic)
        partitions = consumer._client.cluster.partitions_for_topic(topic)
        if not partitions:
            raise FleetwireError(
                f"topic {topic} does not exist; create the topics with `fleetwire topics`"
            )
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)  # read_committed: the last stable offset
        start = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, start[tp])
        records: list[tuple[bytes | None, bytes | None]] = []
        remaining = {tp for tp in tps if start[tp] < end[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=READ_TIMEOUT_MS)
            for tp, messages in batch.items():
                records.extend((m.key, m.value) for m in messages if m.offset < end[tp])
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _in_transaction(producer: AIOKafkaProducer) -> bool:
    manager: Any = producer._txn_manager
    return manager is not None and manager.state.name in {"IN_TRANSACTION", "ABORTABLE_ERROR"}


def _fenced(producer: AIOKafkaProducer) -> bool:
    task: Any = producer._sender.sender_task
    if task is None or not task.done() or task.cancelled():
        return False
    return isinstance(task.exception(), ProducerFenced)
