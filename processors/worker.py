"""The consume loop: a thin shell that reads raw records, transforms, writes, commits.

At-least-once: the offsets of a batch are committed only after every canonical and
dead-letter record it produced is acknowledged by Kafka. A partition revoked while a batch
is in flight waits for that batch (the lock) so nothing is committed past unwritten output.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from fleetwire.kafka import durable_producer, reachable
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from processors import metrics
from processors.output import InRecord, OutRecord, Transformer
from processors.registry import NORMALIZERS

log = logging.getLogger(__name__)

MAX_RECORDS_PER_BATCH = 2000
RETRY_BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


def group_id(prefix: str) -> str:
    return f"{prefix}.processor"


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        async with self._lock:  # the batch in flight finishes and commits first
            log.info("partitions revoked: %s", _tps(revoked))

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        log.info("partitions assigned: %s", _tps(assigned))


class Worker:
    def __init__(self, settings: Settings, providers: Sequence[str]) -> None:
        self._settings = settings
        topics = TopicNames(settings.topic_prefix)
        self._providers = {topics.raw(p): p for p in providers}
        self._transformer = Transformer(topics, NORMALIZERS, settings.schema_base_url)
        self._lock = asyncio.Lock()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group_id(settings.topic_prefix),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=MAX_RECORDS_PER_BATCH,
        )
        self._producer = durable_producer(settings.bootstrap_servers, linger_ms=5)

    async def ready(self) -> bool:
        return await reachable(self._consumer._client)

    async def run(self, stop: asyncio.Event) -> None:
        await self._producer.start()
        await self._consumer.start()
        self._consumer.subscribe(list(self._providers), listener=_WaitForBatch(self._lock))
        log.info("processing %s", ", ".join(self._providers))
        try:
            while not stop.is_set():
                batch = await self._consumer.getmany(timeout_ms=500)
                if batch:
                    async with self._lock:
                        await self._process(batch, stop)
        finally:
            await self._consumer.stop()
            await self._producer.stop()
            log.info("processor stopped")

    async def _process(self, batch: dict[TopicPartition, list[object]], stop: asyncio.Event) -> None:
        started = time.perf_counter()
        outputs: list[OutRecord] = []
        offsets: dict[TopicPartition, int] = {}
        for tp, messages in batch.items():
            provider = self._providers[tp.topic]
            for message in messages:
                record = InRecord(tp.topic, tp.partition, message.offset,  # type: ignore[attr-defined]
                                  message.key, message.value, message.headers)  # type: ignore[attr-defined]
                outputs.extend(self._transformer.transform(provider, record))
            metrics.CONSUMED.labels(provider).inc(len(messages))
            offsets[tp] = messages[-1].offset + 1  # type: ignore[attr-defined]
        await self._write(outputs, stop)
        await self._commit(offsets)
        self._observe(outputs, batch)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    async def _write(self, outputs: list[OutRecord], stop: asyncio.Event) -> None:
        """Write every output; retry with backoff until all are acknowledged."""
        pending = outputs
        attempt = 0
        while pending:
            futures = [
                await self._producer.send(o.topic, value=o.value, key=o.key, headers=o.headers)
                for o in pending
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
            failed = [o for o, r in zip(pending, results, strict=True) if isinstance(r, Exception)]
            if not failed:
                return
            delay = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
            log.warning("%d of %d writes failed (%s); retrying in %.2fs", len(failed),
                        len(pending), next(r for r in results if isinstance(r, Exception)), delay)
            attempt += 1
            pending = failed
            await asyncio.sleep(delay)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # The group rebalanced; the new owner re-reads from the last commit (at least once).
            log.warning("commit refused after a rebalance; records will be read again")
        except KafkaError as exc:
            log.warning("commit failed (%s); records will be read again", exc)

    def _observe(self, outputs: list[OutRecord], batch: dict[TopicPartition, list[object]]) -> None:
        now = time.time()
        for out in outputs:
            if out.event_type is not None:
                metrics.PRODUCED.labels(out.event_type).inc()
            else:
                metrics.DEAD_LETTERED.labels(self._providers_for(out), out.error_kind or "").inc()
        for tp, messages in batch.items():
            for message in messages:
                received = _received_at(message.headers)  # type: ignore[attr-defined]
                if received is not None:
                    metrics.END_TO_END_SECONDS.observe(max(0.0, now - received))
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                last = messages[-1].offset  # type: ignore[attr-defined]
                metrics.LAG.labels(tp.topic, str(tp.partition)).set(max(0, highwater - last - 1))

    def _providers_for(self, out: OutRecord) -> str:
        return out.topic.rsplit(".", 1)[-1]


def _received_at(headers: Sequence[tuple[str, bytes]]) -> float | None:
    for name, value in headers:
        if name == "fleetwire-received-at":
            try:
                return datetime.fromisoformat(value.decode()).timestamp()
            except ValueError:
                return None
    return None


def _tps(tps: Sequence[TopicPartition]) -> str:
    return ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in tps)) or "none"
