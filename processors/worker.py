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

from fleetwire import clients, otel
from fleetwire.diagnosis import diagnose
from fleetwire.kafka import reachable
from fleetwire.settings import Delivery as DeliveryMode
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from fleetwire.writing import internals
from fleetwire.writing.admission import Admission, started_within
from processors import metrics
from processors.batch import Batch, plan
from processors.dedup import DedupWindow
from processors.delivery import AtLeastOnce, Delivery, Outcome, Transactional
from processors.output import Normalizer, Transformer
from processors.partitions import Partitions
from processors.trace import HEADER as TRACE_HEADER

log = logging.getLogger(__name__)

# Each poll ends in round trips to Kafka (acknowledgements, then the commit or the
# transaction's end) during which this process waits: larger polls wait less per record.
# A poll of 5,000 is about a quarter of a second of work, what a revocation may wait for.
MAX_RECORDS_PER_POLL = 5000
POLL_TIMEOUT_MS = 500
# Each step of a stop waits this long for Kafka at most; a pod gets 30 s to stop.
SHUTDOWN_STEP_S = 8.0


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
    _consumer: AIOKafkaConsumer
    _delivery: Delivery
    _partitions: Partitions

    def __init__(
        self,
        settings: Settings,
        providers: Sequence[str],
        normalizers: Mapping[str, Normalizer],
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
        self._revoked_at: float | None = None
        self._stop = asyncio.Event()
        self._settings = settings
        self._admission = Admission(settings.kafka, "processor", log)
        self._built = False  # the clients below exist once Kafka accepted us (see run)
        self._mode = settings.delivery

    def _build(self) -> tuple[AIOKafkaConsumer, Delivery, Partitions]:
        """The clients, from the settings as they are now (a rotated secret file included)."""
        settings = self._settings
        connection = settings.kafka
        consumer = clients.consumer(
            connection,
            group_id=group_id(settings.topic_prefix),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=MAX_RECORDS_PER_POLL,
        )
        delivery: Delivery
        if settings.delivery is DeliveryMode.EXACTLY_ONCE:
            delivery = Transactional(connection, group_id(settings.topic_prefix), self._interrupted)
        else:
            delivery = AtLeastOnce(connection, consumer, self._interrupted)
        return consumer, delivery, Partitions(consumer, delivery, self._interrupted)

    def _interrupted(self) -> bool:
        return self._revoking or self._stop.is_set()

    async def ready(self) -> bool | str:
        if not self._built:
            failure = self._admission.failure
            return failure.line() if failure is not None else False
        if await reachable(internals.metadata_client(self._consumer)):
            return True
        failure = await diagnose(self._settings.kafka)
        return failure.line() if failure is not None else False

    async def _started(self) -> tuple[AIOKafkaConsumer, Delivery, Partitions]:
        """The clients, built and started; closed again if one of them cannot start."""
        consumer, delivery, partitions = self._build()
        try:
            await started_within(delivery.start(), delivery.stop)
            await started_within(consumer.start(), consumer.stop)
        except BaseException:
            await delivery.stop()
            raise
        return consumer, delivery, partitions

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        started = await self._admission.connect(self._started, stop)
        if started is None:
            return
        self._consumer, self._delivery, self._partitions = started
        self._built = True
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
            await self._shut_down()

    async def _shut_down(self) -> None:
        """Leave the group, end what is open, close; with Kafka gone, say what was left.

        A stop is asked for when Kafka may be unreachable (a cluster going down, a node
        drained): waiting on it, or failing on its errors, would turn an orderly stop into
        a hang or a crash. Nothing is lost by giving up: what was not committed is read
        again by the next owner of its partitions.
        """
        owned = self._partitions.owned()
        unfinished: list[str] = []

        async def release() -> None:
            async with self._lock:
                await self._partitions.release_all()

        # Leave the group first so the partitions move on at once; nothing is in flight.
        for what, step in (
            ("leave the consumer group", self._consumer.stop),
            ("end the open transactions", release),
            ("close the producers", self._delivery.stop),
        ):
            try:
                await asyncio.wait_for(step(), SHUTDOWN_STEP_S)
            except asyncio.CancelledError:
                # aiokafka's consumer.stop() lets the cancellation of its own fetch tasks
                # escape when their broker is gone; only a cancellation of this task is ours.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                unfinished.append(f"{what} (cancelled)")
            except Exception as exc:  # any failure here means Kafka is not there to finish
                unfinished.append(f"{what} ({type(exc).__name__})")
        if self._spans is not None:
            await asyncio.to_thread(self._spans.shutdown)  # sends the spans still buffered
        if unfinished:
            log.warning(
                "processor stopped without Kafka: could not %s; uncommitted records of %s "
                "are processed again by the next owner",
                ", ".join(unfinished),
                _tps(owned),
            )
        else:
            log.info("processor stopped")

    async def revoked(self, tps: Sequence[TopicPartition]) -> None:
        if tps:  # else the first assignment follows, not a rebalance
            self._revoked_at = time.monotonic()
        self._revoking = True  # a stuck batch gives up instead of holding the group back
        try:
            async with self._lock:
                await self._partitions.revoked(tps, internals.generation(self._consumer))
        finally:
            self._revoking = False
        log.info("partitions revoked: %s", _tps(tps))

    async def assigned(self, tps: Sequence[TopicPartition]) -> None:
        async with self._lock:
            await self._partitions.assigned(tps, internals.generation(self._consumer))
        log.info("partitions assigned: %s", _tps(tps))
        if self._revoked_at is not None:
            paused = time.monotonic() - self._revoked_at
            log.info("rebalance: no processing for %.3fs, from revocation to assignment", paused)
            self._revoked_at = None

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
    metrics.END_TO_END_SECONDS.observe_all([max(0.0, now - at) for at in batch.received_at])


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
