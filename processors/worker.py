"""The consume loop: poll raw records, plan each partition's batch, deliver, settle.

The rules that keep output exact live next door: `partitions` decides which records may be
processed and from where a partition resumes, `delivery` writes and commits (at least once,
or in transactions), `batch` turns records into output, `dedup` remembers deliveries.
Batches and rebalances are serialized by one lock: a revocation waits for the batch in
flight, which finishes or, if Kafka does not answer, is abandoned uncommitted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from fleetwire import otel
from fleetwire.kafka import reachable
from fleetwire.settings import Delivery as DeliveryMode
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from processors import metrics
from processors.batch import Batch, plan
from processors.dedup import DedupWindow
from processors.delivery import AtLeastOnce, Delivery, Outcome, Transactional
from processors.output import Transformer
from processors.partitions import Partitions
from processors.registry import NORMALIZERS, Normalizer
from processors.trace import HEADER as TRACE_HEADER

log = logging.getLogger(__name__)

# Each poll ends in round trips to Kafka (acknowledgements, then the commit or the
# transaction's end) during which this process waits: larger polls wait less per record.
# A poll of 5,000 is about a quarter of a second of work, what a revocation may wait for.
MAX_RECORDS_PER_POLL = 5000
POLL_TIMEOUT_MS = 500


def group_id(prefix: str) -> str:
    return f"{prefix}.processor"


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._worker.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self._worker.assigned(assigned)


class Worker:
    def __init__(
        self,
        settings: Settings,
        providers: Sequence[str],
        normalizers: Mapping[str, Normalizer] = NORMALIZERS,
    ) -> None:
        topics = TopicNames(settings.topic_prefix)
        self._providers = {topics.raw(p): p for p in providers}
        self._spans = otel.spans("fleetwire-processor")
        self._transformer = Transformer(
            topics,
            normalizers,
            settings.schema_base_url,
            keep_parent_context=self._spans is not None,
        )
        self._window = DedupWindow(settings.dedup_window)
        self._lock = asyncio.Lock()
        self._revoking = False
        self._stop = asyncio.Event()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group_id(settings.topic_prefix),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=MAX_RECORDS_PER_POLL,
        )
        self._delivery: Delivery
        if settings.delivery is DeliveryMode.EXACTLY_ONCE:
            self._delivery = Transactional(
                settings.bootstrap_servers, group_id(settings.topic_prefix), self._interrupted
            )
        else:
            self._delivery = AtLeastOnce(
                settings.bootstrap_servers, self._consumer, self._interrupted
            )
        self._partitions = Partitions(self._consumer, self._delivery, self._interrupted)
        self._mode = settings.delivery

    def _interrupted(self) -> bool:
        return self._revoking or self._stop.is_set()

    async def ready(self) -> bool:
        return await reachable(self._consumer._client)

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        await self._delivery.start()
        await self._consumer.start()
        self._consumer.subscribe(list(self._providers), listener=_Rebalance(self))
        log.info("processing %s (%s)", ", ".join(self._providers), self._mode.value)
        try:
            while not stop.is_set():
                poll = self._partitions.poll_started()
                fetched = await self._consumer.getmany(timeout_ms=POLL_TIMEOUT_MS)
                async with self._lock:
                    await self._partitions.prepare()
                    await self._process(fetched, poll)
                    self._partitions.observe_lag()
        finally:
            # Leave the group first so the partitions move on at once; nothing is in flight.
            await self._consumer.stop()
            async with self._lock:
                await self._partitions.release_all()
            await self._delivery.stop()
            if self._spans is not None:
                self._spans.shutdown()
            log.info("processor stopped")

    async def revoked(self, tps: Sequence[TopicPartition]) -> None:
        self._revoking = True  # a stuck batch gives up instead of holding the group back
        try:
            async with self._lock:
                await self._partitions.revoked(tps)
        finally:
            self._revoking = False
        log.info("partitions revoked: %s", _tps(tps))

    async def assigned(self, tps: Sequence[TopicPartition]) -> None:
        async with self._lock:
            await self._partitions.assigned(tps)
        log.info("partitions assigned: %s", _tps(tps))

    async def _process(self, fetched: dict[TopicPartition, list[Any]], poll: int) -> None:
        started = time.perf_counter()
        started_ns = time.time_ns()
        batches: list[Batch] = []
        for tp, messages in fetched.items():
            fresh = self._partitions.fresh(tp, messages, poll)
            if fresh:
                provider = self._providers[tp.topic]
                position = await self._consumer.position(tp)
                batches.append(
                    plan(self._transformer, self._window, provider, tp, fresh, position=position)
                )
                metrics.CONSUMED.labels(provider).inc(len(fresh))
        if not batches:
            return
        outcomes = await self._delivery.deliver(batches)
        for batch in batches:
            outcome = outcomes[batch.tp]
            self._partitions.settle(batch.tp, outcome, batch.next_offset)
            if outcome is Outcome.COMMITTED:
                self._window.remember(batch.delivered)
                _observe(batch)
                if self._spans is not None:
                    _record_spans(self._spans, batch, started_ns)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)


def _observe(batch: Batch) -> None:
    """Count what a committed batch wrote: once per label, not once per record."""
    produced = Counter(out.event_type for out in batch.outputs if out.event_type is not None)
    for event_type, count in produced.items():
        metrics.PRODUCED.labels(event_type).inc(count)
    dead = Counter(out.error_kind or "unknown" for out in batch.outputs if out.event_type is None)
    for kind, count in dead.items():
        metrics.DEAD_LETTERED.labels(batch.provider, kind).inc(count)
    if batch.duplicates:
        metrics.DUPLICATES.labels(batch.provider).inc(batch.duplicates)
    now = time.time()
    for received in batch.received_at:
        metrics.END_TO_END_SECONDS.observe(max(0.0, now - received))


def _record_spans(spans: otel.Spans, batch: Batch, started_ns: int) -> None:
    """A span per event of a committed batch, child of its raw record's, over the batch."""
    now = time.time_ns()
    for out in batch.outputs:
        if out.event_type is None:
            continue
        context = next(v for k, v in out.headers if k == TRACE_HEADER).decode()
        spans.record(
            f"process {out.event_type}",
            context,
            out.parent_context,
            start_ns=started_ns,
            end_ns=now,
            kind="consumer",
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": out.topic,
                "cloudevents.event_type": out.event_type,
                "fleetwire.provider": batch.provider,
            },
        )


def _tps(tps: Sequence[TopicPartition]) -> str:
    return ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in tps)) or "none"
