"""Running processors as child processes against a prepared raw topic, and checking output."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from fleetwire import clients
from localkafka.ports import free_port
from tests.support.kafka import CONNECTION
from tests.support.processes import Service, environment, run


@dataclass
class Processor:
    service: Service
    admin_url: str

    def metrics_text(self) -> str:
        """The /metrics page, empty if the process cannot answer."""
        try:
            with urllib.request.urlopen(f"{self.admin_url}/metrics", timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            return ""

    def metric(self, name: str) -> float:
        """The sum of a metric over its labels, 0 if the process cannot answer."""
        text = self.metrics_text()
        pattern = rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$"
        return sum(float(v) for v in re.findall(pattern, text, re.M))

    def produced(self) -> float:
        return self.metric("fleetwire_processor_events_produced_total")

    def consumed(self) -> float:
        return self.metric("fleetwire_processor_records_consumed_total")


def provision(prefix: str, tmp_path: Path) -> dict[str, str]:
    """Create the topics under `prefix`; the environment a processor of them runs with."""
    sources = tmp_path / "sources.toml"
    sources.write_text("")
    env = environment(prefix, sources)
    created = run(["topics"], env)
    assert created.returncode == 0, created.stderr
    return env


def start(env: dict[str, str], tmp_path: Path, name: str, mode: str) -> Processor:
    """A Zubie processor (the tests' raw records are Zubie's) in delivery `mode`."""
    admin = free_port()
    service = Service(
        ["process", "--provider", "zubie"],
        {**env, "FLEETWIRE_DELIVERY": mode, "FLEETWIRE_ADMIN_PORT": str(admin)},
        tmp_path / f"{name}.log",
    )
    url = f"http://127.0.0.1:{admin}"
    service.wait_http(f"{url}/readyz")
    return Processor(service, url)


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str) -> None:
    """Wait until `check()` holds, looking every few milliseconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def processed(prefix: str, raw_topic: str) -> bool:
    """True once the processor group has committed every raw record there is."""
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{prefix}.processor")
    finally:
        await admin.close()
    end = await end_offsets(raw_topic)
    return all(
        off == 0 or (tp in committed and committed[tp].offset >= off) for tp, off in end.items()
    )


async def end_offsets(topic: str) -> dict[TopicPartition, int]:
    consumer = clients.consumer(CONNECTION, group_id=None)
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def read_to_end(topic: str, isolation_level: str = "read_committed") -> list[Any]:
    """Every record of `topic` up to its current end (the last stable offset when reading
    committed only)."""
    consumer = clients.consumer(
        CONNECTION,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level=isolation_level,
    )
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        for tp, offset in (await consumer.beginning_offsets(tps)).items():
            consumer.seek(tp, offset)
        records: list[Any] = []
        remaining = {tp for tp in tps if end[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    await consumer._client.add_topic(topic)
    partitions = consumer._client.cluster.partitions_for_topic(topic)
    assert partitions, f"topic {topic} does not exist"
    return [TopicPartition(topic, p) for p in sorted(partitions)]


def events(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


def trip_ids(records: list[Any]) -> Counter[str]:
    """How often each Zubie trip id appears among canonical records."""
    return Counter(e["data"]["trip"]["id"] for e in events(records))


def assignment(processor: Processor) -> set[str]:
    """The partitions a processor last reported as assigned to it, from its log."""
    lines = re.findall(r"partitions assigned: (.*)$", processor.service.output(), re.M)
    if not lines or lines[-1] == "none":
        return set()
    return set(lines[-1].split(", "))
