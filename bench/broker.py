"""The broker side of the benchmark: which broker, its topics, preloading and offsets."""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer, TopicPartition

from commands import provision
from commands.provision import pipeline_topics
from fleetwire import clients
from fleetwire.connection import KafkaConnection, KafkaSecurity
from fleetwire.kafka import raw_partitioner
from fleetwire.settings import Settings
from fleetwire.topics import ensure_topics

ROOT = Path(__file__).resolve().parent.parent
BROKER_SCRIPT = ROOT / "deploy" / "kafka" / "broker.sh"
PRELOAD_CHUNK = 5000

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


def connection(bootstrap: str) -> KafkaConnection:
    """The benchmark's own clients connect as fleetwire does (KAFKA_SECURITY_PROTOCOL, ...)."""
    return KafkaConnection(bootstrap, KafkaSecurity.from_env(os.environ))


def bootstrap_servers() -> str:
    """KAFKA_BOOTSTRAP_SERVERS when set; otherwise the local broker, started if needed and
    then stopped again when the run ends, as `make test` does."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if configured:
        return configured
    script = str(BROKER_SCRIPT)
    status = subprocess.run([script, "status"], capture_output=True, check=False)  # noqa: S603
    subprocess.run([script, "start"], check=True)  # noqa: S603 - our own script
    if status.returncode != 0:
        atexit.register(subprocess.run, [script, "stop"], check=False)
    # Every node's address when KAFKA_BROKERS=3; fails clearly for a secured cluster.
    found = subprocess.run(  # noqa: S603 - our own script
        [script, "bootstrap"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def kafka_version(bootstrap: str) -> str:
    """The version of a Kafka broker running on this machine at `bootstrap`'s port.

    Kafka's protocol does not tell a client the broker's release, so this reads the jar
    names on the local broker's class path; a remote broker is "unknown".
    """
    port = bootstrap.split(",", maxsplit=1)[0].rsplit(":", 1)[-1]
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka" not in args:
            continue
        version = _version_of([a.decode(errors="replace") for a in args if a], port)
        if version is not None:
            return version
    return "unknown (not a local broker)"


def _version_of(args: Sequence[str], port: str) -> str | None:
    config = Path(args[-1])
    try:
        if f":{port}" not in config.read_text():
            return None
    except OSError:
        return None
    classpath = args[args.index("-cp") + 1] if "-cp" in args else ""
    for entry in classpath.split(":"):
        for jar in Path(entry.rstrip("*")).glob("kafka-server-[0-9]*.jar"):
            found = re.search(r"kafka-server-([0-9][0-9A-Za-z.\-]*)\.jar$", jar.name)
            if found:
                return found.group(1)
    return None


async def create_topics(bootstrap: str, prefix: str) -> None:
    """The pipeline's topics as `fleetwire topics` declares them (raw topics included for
    every provider the ingress knows), under this run's prefix."""
    await ensure_topics(connection(bootstrap), pipeline_topics(Settings(topic_prefix=prefix)))


async def create_canonical_like(bootstrap: str, prefix: str, name: str) -> int:
    """One more topic, `name`, shaped as the canonical topics of `prefix` are; its
    partition count."""
    layout = provision.layout(Settings(topic_prefix=prefix))
    spec = layout.spec(name, layout.canonical_partitions, layout.canonical_retention_hours)
    await ensure_topics(connection(bootstrap), [spec])
    return spec.partitions


async def delete_topics(bootstrap: str, prefix: str) -> int:
    admin = clients.admin_client(connection(bootstrap))
    await admin.start()
    try:
        ours = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        if ours:
            await admin.delete_topics(ours)
        return len(ours)
    finally:
        await admin.close()


async def preload(bootstrap: str, topic: str, records: Iterable[Record]) -> int:
    """Write records as fast as the broker takes them (leader ack, big batches)."""
    return await preload_topics(bootstrap, ((topic, record) for record in records))


async def preload_topics(bootstrap: str, records: Iterable[tuple[str, Record]]) -> int:
    """Records to their own topics, as fast as the broker takes them."""
    producer = AIOKafkaProducer(
        **clients.client_options(connection(bootstrap)),
        acks=1,
        linger_ms=20,
        max_batch_size=1024 * 1024,
        max_request_size=8 * 1024 * 1024,
        partitioner=raw_partitioner,  # where the ingress would have put them
    )
    await producer.start()
    written = 0
    try:
        chunk: list[asyncio.Future[object]] = []
        for topic, (key, value, headers) in records:
            chunk.append(await producer.send(topic, value=value, key=key, headers=headers))
            if len(chunk) >= PRELOAD_CHUNK:
                await asyncio.gather(*chunk)
                written += len(chunk)
                chunk = []
        await asyncio.gather(*chunk)
        written += len(chunk)
    finally:
        await producer.stop()
    return written


class Offsets:
    """Reads end offsets and a group's committed offsets, polled while a phase runs."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._admin = clients.admin_client(connection(bootstrap))
        self._consumer = clients.consumer(
            connection(bootstrap), isolation_level="read_committed", enable_auto_commit=False
        )

    async def __aenter__(self) -> Offsets:
        await self._admin.start()
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        found: list[TopicPartition] = []
        for topic in topics:
            numbers: set[int] | None = None
            deadline = time.monotonic() + 10
            while not numbers and time.monotonic() < deadline:
                await self._consumer._client.force_metadata_update()
                numbers = self._consumer.partitions_for_topic(topic)
                if not numbers:
                    await asyncio.sleep(0.2)
            found.extend(TopicPartition(topic, n) for n in sorted(numbers or ()))
        return found

    async def end_total(self, partitions: Sequence[TopicPartition]) -> int:
        """Sum of end offsets; read_committed, so the last stable offsets."""
        ends = await self._consumer.end_offsets(list(partitions))
        return sum(ends.values())

    async def groups(self, prefix: str) -> list[str]:
        listed = await self._admin.list_consumer_groups()
        return sorted(str(g[0]) for g in listed if str(g[0]).startswith(prefix))

    async def committed_total(self, group: str, topics: Sequence[str]) -> int:
        offsets = await self._admin.list_consumer_group_offsets(group)
        return sum(max(0, meta.offset) for tp, meta in offsets.items() if tp.topic in topics)


def record_bytes(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> int:
    """What a record carries: key, value, header names and values (framing left out)."""
    return (
        len(key or b"")
        + len(value or b"")
        + sum(len(name) + len(raw or b"") for name, raw in headers)
    )


async def count_records(
    bootstrap: str, partitions: Sequence[TopicPartition], expect: int, idle_s: float = 5.0
) -> int:
    """Records readable with read_committed, from the start; stops at `expect` or when idle."""
    count, _ = await count_bytes(bootstrap, partitions, expect, idle_s)
    return count


async def count_bytes(
    bootstrap: str, partitions: Sequence[TopicPartition], expect: int, idle_s: float = 5.0
) -> tuple[int, int]:
    """Records readable with read_committed and their `record_bytes`, as count_records."""
    consumer = clients.consumer(
        connection(bootstrap),
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign(list(partitions))
        await consumer.seek_to_beginning(*partitions)
        count = size = 0
        last = time.monotonic()
        while count < expect and time.monotonic() - last < idle_s:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for messages in batch.values():
                size += sum(record_bytes(m.key, m.value, m.headers) for m in messages)
                count += len(messages)
                last = time.monotonic()
        return count, size
    finally:
        await consumer.stop()
