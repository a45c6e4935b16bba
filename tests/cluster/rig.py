"""The pipeline under a steady signed load on the three-node cluster, and its accounting.

A rig is what an operator runs: topics with replication 3 and min.insync.replicas 2, one
real ingress, two real exactly-once processors in one consumer group. A test starts the
load, breaks the cluster in some way, mends it, and `finish` counts what happened: every
webhook answered 200 must be a raw record and exactly one canonical event read with
read_committed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient, CoordinationType

from fleetwire import clients
from fleetwire.connection import KafkaConnection
from fleetwire.topics import TopicNames
from localkafka import Cluster
from localkafka.ports import free_port
from schemas.catalog import EVENT_TYPES
from tests.faults.common import (
    Ingress,
    Load,
    http_text,
    marker_of,
    start_ingress,
    wait_status,
    write_sources,
)
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, run

PUBLISH_TIMEOUT_S = 3.0
RATE = 50.0
CONCURRENCY = 96
REPLICAS = 3


@dataclass
class Arrival:
    at: float
    marker: str
    partition: int


@dataclass
class Watcher:
    """Canonical trip events as they become readable, with arrival times: read_committed,
    or read_uncommitted to see writes of aborted transactions as well."""

    bootstrap: str
    topic: str
    isolation_level: str = "read_committed"
    arrivals: list[Arrival] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def markers(self) -> set[str]:
        return {a.marker for a in self.arrivals}

    def partitions(self) -> set[int]:
        return {a.partition for a in self.arrivals}

    def repeated(self) -> int:
        """How many arrivals repeat an event that arrived before."""
        return len(self.arrivals) - len(self.markers())

    async def _watch(self) -> None:
        consumer = clients.consumer(
            KafkaConnection(self.bootstrap),
            self.topic,
            group_id=None,
            auto_offset_reset="earliest",
            isolation_level=self.isolation_level,
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                now = time.monotonic()
                for records in batch.values():
                    self.arrivals.extend(
                        Arrival(now, trip_key(r.value), r.partition) for r in records
                    )
        finally:
            await consumer.stop()


def trip_key(value: bytes) -> str:
    return str(json.loads(value)["data"]["trip"]["key"])


@dataclass
class Result:
    """What a fault cost, in the terms of the issue: lost, duplicated, refused, stalled."""

    name: str
    sent: int
    acknowledged: set[str]
    refused: list[tuple[float, float]]  # (started, answered) of each 503, from the fault
    other: Counter[int]
    raw: Counter[str]
    canonical: Counter[str]
    longest_stall_s: float
    written_after_503: int
    counted_written_late: float  # the ingress's own count of the same

    @property
    def raw_lost(self) -> set[str]:
        return self.acknowledged - set(self.raw)

    @property
    def canonical_lost(self) -> set[str]:
        return self.acknowledged - set(self.canonical)

    @property
    def duplicated(self) -> dict[str, int]:
        return {m: n for m, n in self.canonical.items() if n > 1}

    @property
    def refusal_window_s(self) -> float:
        if not self.refused:
            return 0.0
        return max(end for _, end in self.refused) - min(start for start, _ in self.refused)

    def report(self) -> str:
        return (
            f"[{self.name}] sent={self.sent} ok={len(self.acknowledged)} "
            f"503={len(self.refused)} other={dict(self.other)} "
            f"raw_records={sum(self.raw.values())} "
            f"raw_lost={len(self.raw_lost)} canonical={sum(self.canonical.values())} "
            f"canonical_lost={len(self.canonical_lost)} duplicated={len(self.duplicated)} "
            f"written_after_503={self.written_after_503} "
            f"(ingress metric {self.counted_written_late:.0f}) "
            f"503_window_s={self.refusal_window_s:.1f} processor_stall_s={self.longest_stall_s:.1f}"
        )

    def assert_whole(self) -> None:
        assert self.acknowledged, "no webhook was acknowledged at all"
        assert not self.raw_lost, sorted(self.raw_lost)[:10]
        assert not self.canonical_lost, sorted(self.canonical_lost)[:10]
        assert not self.duplicated, sorted(self.duplicated.items())[:10]
        assert set(self.other) <= {200}, f"answers other than 200 and 503: {dict(self.other)}"
        # The ingress counts the records acknowledged after their request gave up. A write
        # Kafka reported as failed but had taken (a timeout at a hung leader) it cannot
        # know of, so its count is a lower bound of what is found, and no more.
        assert self.counted_written_late <= self.written_after_503
        if self.written_after_503:
            assert self.counted_written_late > 0


class Rig:
    def __init__(self, cluster: Cluster, prefix: str, directory: Path, delivery: str) -> None:
        self.cluster = cluster
        self.prefix = prefix
        self.directory = directory
        self.names = TopicNames(prefix)
        sources = write_sources(directory)
        self.env = {
            **environment(prefix, sources),
            "KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap,
            "FLEETWIRE_REPLICATION_FACTOR": str(REPLICAS),
            "FLEETWIRE_MIN_INSYNC_REPLICAS": "2",
            "FLEETWIRE_DELIVERY": delivery,
            "FLEETWIRE_PUBLISH_TIMEOUT": str(PUBLISH_TIMEOUT_S),
        }
        self.sources = sources
        self.raw_topic = self.names.raw("zubie")
        self.canonical_topic = self.names.canonical(EVENT_TYPES["vehicle.trip.started"].domain)
        self.processors: list[Service] = []
        self.killed: list[Service] = []
        self.ingress: Ingress | None = None
        self.load: Load | None = None
        self.watcher = Watcher(cluster.bootstrap, self.canonical_topic)
        self.everything = Watcher(cluster.bootstrap, self.canonical_topic, "read_uncommitted")
        self._sender: asyncio.Task[None] | None = None
        self.fault_at = 0.0

    # -- the pipeline ----------------------------------------------------------------

    async def start(self, processors: int = 2) -> None:
        created = await asyncio.to_thread(run, ["topics"], self.env, 120)
        assert created.returncode == 0, created.stdout + created.stderr
        await replicated(self.cluster.bootstrap, [self.raw_topic, self.canonical_topic])
        self.ingress = start_ingress(
            self.prefix, self.directory, self.sources, **_only_kafka(self.env)
        )
        for _ in range(processors):
            await self.start_processor()
        await wait_status(self.ingress.readyz, 200)
        self.watcher.start()
        self.everything.start()

    async def start_processor(self) -> Service:
        admin = free_port()
        service = Service(
            ["process", "--provider", "zubie"],
            {**self.env, "FLEETWIRE_ADMIN_PORT": str(admin)},
            self.directory / f"processor-{len(self.processors)}.log",
        )
        self.processors.append(service)
        await wait_status(f"http://127.0.0.1:{admin}/readyz", 200)
        return service

    def running(self) -> int:
        """The index of the longest-running processor not killed."""
        return next(i for i, s in enumerate(self.processors) if s not in self.killed)

    def kill_processor(self, index: int) -> None:
        """SIGKILL a processor: no drain, no commit, its transactions left open."""
        victim = self.processors[index]
        victim.stop(signal.SIGKILL)
        self.killed.append(victim)

    def pause_processor(self, index: int) -> None:
        """SIGSTOP a processor: it holds its partitions and reads nothing meanwhile."""
        self.processors[index].process.send_signal(signal.SIGSTOP)

    def resume_processor(self, index: int) -> None:
        self.processors[index].process.send_signal(signal.SIGCONT)

    def start_load(self) -> None:
        assert self.ingress is not None
        self.load = Load(
            f"{self.ingress.base}/webhooks/zubie", RATE, CONCURRENCY, PUBLISH_TIMEOUT_S + 5
        )
        self._sender = asyncio.create_task(self.load.run(lambda i: f"{self.prefix}-{i}"))

    def mark_fault(self) -> None:
        self.fault_at = time.monotonic()

    async def finish(self, name: str, settle_s: float = 4.0) -> Result:
        """Stop the load, wait for the processors to catch up, and count."""
        assert self.load is not None
        assert self._sender is not None
        assert self.ingress is not None
        await asyncio.sleep(settle_s)
        self.load.stop()
        await self._sender
        outcomes = self.load.outcomes
        acknowledged = {o.marker for o in outcomes if o.status == 200}
        await until(lambda: acknowledged <= self.watcher.markers(), timeout=120)
        await asyncio.sleep(2)  # any duplicate would be readable by now as well
        await self.watcher.stop()
        await self.everything.stop()
        for service in self.processors:
            if service not in self.killed:
                assert service.process.poll() is None, service.output()[-4000:]
        raw = await read_all(
            self.raw_topic,
            bootstrap=self.cluster.bootstrap,
            until=lambda found: acknowledged <= {marker_of(r.value) for r in found},
            timeout=60,
        )
        canonical = await read_all(
            self.canonical_topic,
            bootstrap=self.cluster.bootstrap,
            until=lambda found: acknowledged <= {trip_key(r.value) for r in found},
            timeout=60,
        )
        raw_markers = Counter(m for r in raw if (m := marker_of(r.value)) is not None)
        refused = {o.marker for o in outcomes if o.status == 503}
        return Result(
            name=name,
            sent=len(outcomes),
            acknowledged=acknowledged,
            refused=[
                (o.started - self.fault_at, o.started + o.seconds - self.fault_at)
                for o in outcomes
                if o.status == 503
            ],
            other=Counter(o.status for o in outcomes if o.status not in (200, 503)),
            raw=raw_markers,
            canonical=Counter(trip_key(r.value) for r in canonical),
            longest_stall_s=self._longest_stall(),
            written_after_503=len(refused & set(raw_markers)),
            counted_written_late=metric_sum(
                http_text(self.ingress.metrics), "fleetwire_ingress_written_after_refusal_total"
            ),
        )

    def _longest_stall(self) -> float:
        """The longest time after the fault during which no canonical event became readable."""
        times = sorted(a.at for a in self.watcher.arrivals if a.at >= self.fault_at)
        points = [self.fault_at, *times]
        return max((b - a for a, b in itertools.pairwise(points)), default=0.0)

    async def close(self) -> None:
        if self.load is not None:
            self.load.stop()
        if self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)
        await self.watcher.stop()
        await self.everything.stop()
        codes = [service.stop(signal.SIGTERM, timeout=60) for service in self.processors]
        ingress_code = self.ingress.service.stop() if self.ingress else 0
        assert ingress_code == 0, self.ingress.service.output()[-4000:] if self.ingress else ""
        for service, code in zip(self.processors, codes, strict=True):
            # Only a processor killed on purpose may report anything but a clean exit.
            assert code == 0 or service in self.killed, service.output()[-4000:]


@asynccontextmanager
async def rig(
    cluster: Cluster,
    prefix: str,
    directory: Path,
    delivery: str = "exactly-once",
) -> AsyncIterator[Rig]:
    started = Rig(cluster, prefix, directory, delivery)
    try:
        await started.start()
        yield started
    finally:
        await started.close()
        await whole(cluster)


def metric_sum(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


async def until(check: Callable[[], bool], timeout: float) -> None:
    """Wait up to `timeout` for `check()`; the counting that follows says what is missing."""
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:  # noqa: ASYNC110 - polls other tasks' state
        await asyncio.sleep(0.5)


def _only_kafka(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(("KAFKA_", "FLEETWIRE_PUBLISH"))}


# -- reading the cluster's state -------------------------------------------------------


@asynccontextmanager
async def metadata(bootstrap: str) -> AsyncIterator[AIOKafkaClient]:
    client = AIOKafkaClient(**clients.client_options(KafkaConnection(bootstrap)))
    await client.bootstrap()
    try:
        yield client
    finally:
        await client.close()


async def partitions(bootstrap: str, topics: list[str]) -> dict[TopicPartition, Any]:
    """Each partition's metadata (leader, replicas, isr) as the cluster reports it now."""
    async with metadata(bootstrap) as client:
        for topic in topics:
            await client.add_topic(topic)
        await client.force_metadata_update()
        found = {}
        for topic in topics:
            for number, meta in client.cluster._partitions.get(topic, {}).items():
                found[TopicPartition(topic, number)] = meta
        return found


async def leader_counts(bootstrap: str, topics: list[str]) -> Counter[int]:
    return Counter(meta.leader for meta in (await partitions(bootstrap, topics)).values())


async def replicated(bootstrap: str, topics: list[str], timeout: float = 120) -> None:
    """Wait until every partition of `topics` has all its replicas in sync."""
    deadline = time.monotonic() + timeout
    while True:
        found = await partitions(bootstrap, topics)
        lagging = [tp for tp, meta in found.items() if len(meta.isr) < REPLICAS]
        if found and not lagging:
            return
        assert time.monotonic() < deadline, f"partitions not fully in sync: {lagging[:5]}"
        await asyncio.sleep(0.5)


async def coordinator(bootstrap: str, kind: CoordinationType, key: str) -> int:
    async with metadata(bootstrap) as client:
        return int(await client.coordinator_lookup(kind, key))


async def whole(cluster: Cluster) -> None:
    """Every node running again, so that the next test starts from a whole cluster."""
    for node in cluster.nodes:
        node.resume()
        if node.pid is None:
            await asyncio.to_thread(node.start)
