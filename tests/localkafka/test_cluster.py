"""Real starts of the local cluster: one node of each version, and three nodes that keep a
replication-factor-3 topic writable through a SIGKILL and a restart."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from localkafka import Cluster, LauncherError
from localkafka.ports import free_port, free_ports
from localkafka.processes import state
from localkafka.versions import DEFAULT_VERSION

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
SMALL_HEAP = "-Xms128m -Xmx384m"


async def round_trip(bootstrap: str, topic: str, count: int = 10) -> list[bytes]:
    """Write `count` records with acks=all and read them all back."""
    values = [uuid.uuid4().bytes for _ in range(count)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                if record.value in values:
                    seen.append(record.value)
                if len(seen) == count:
                    break
    finally:
        await consumer.stop()
    return seen


async def create_topic(bootstrap: str, topic: str, replication: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topic, 3, replication)])
        assert response.topic_errors[0][1] == 0, response
    finally:
        await admin.close()


async def in_sync_replicas(bootstrap: str, topic: str) -> dict[int, list[int]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return {p["partition"]: sorted(p["isr"]) for p in described["partitions"]}
    finally:
        await admin.close()


async def leaders(bootstrap: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return {p["partition"]: p["leader"] for p in described["partitions"]}
    finally:
        await admin.close()


async def wait_for(check: Any, timeout: float = 60) -> None:
    """Until `check()` is true; a client error (a dead node still in the metadata) is a no."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await check():
                return
        except KafkaError:
            pass
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.5)


def cli(state_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localkafka", *args],
        cwd=ROOT,
        env={**os.environ, "KAFKA_STATE_DIR": str(state_dir), "KAFKA_HEAP_OPTS": SMALL_HEAP, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def single(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster.start(tmp_path / "kafka", heap=SMALL_HEAP)
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_a_single_4_4_node_answers_and_keeps_records(single: Cluster) -> None:
    assert single.descriptor["version"] == DEFAULT_VERSION == "4.4.0"
    assert single.bootstrap is not None
    topic = f"single-{uuid.uuid4().hex[:8]}"
    await create_topic(single.bootstrap, topic)
    assert len(await round_trip(single.bootstrap, topic)) == 10
    listed = single.tool("topics", "--bootstrap-server", single.bootstrap, "--list")
    assert listed.returncode == 0, listed.stderr
    assert topic in listed.stdout.split()


def test_a_second_start_finds_the_node_running(single: Cluster) -> None:
    pid = single.node(1).pid
    again = Cluster.start(single.state_dir, heap=SMALL_HEAP)
    assert again.node(1).pid == pid
    assert Cluster.load(single.state_dir).descriptor == single.descriptor


def test_a_start_with_other_settings_is_refused_while_running(single: Cluster) -> None:
    with pytest.raises(LauncherError, match="other settings"):
        Cluster.start(single.state_dir, heap=SMALL_HEAP, extra_config={"num.partitions": "4"})
    with pytest.raises(LauncherError, match="3-node"):
        Cluster.start(single.state_dir, brokers=3)


def test_a_stop_stops_and_removes_the_descriptor(tmp_path: Path) -> None:
    cluster = Cluster.start(tmp_path / "kafka", heap=SMALL_HEAP)
    pid = cluster.node(1).pid
    assert pid is not None
    cluster.stop()
    assert cluster.node(1).pid is None
    assert state(pid) is None
    with pytest.raises(LauncherError, match=r"no cluster\.json"):
        Cluster.load(cluster.state_dir)


def test_parallel_cli_starts_share_one_node(tmp_path: Path) -> None:
    state_dir = tmp_path / "kafka"
    port, controller_port = (str(p) for p in free_ports(2))
    env = {"KAFKA_PORT": port, "KAFKA_CONTROLLER_PORT": controller_port}
    try:
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "localkafka", "start"],
                cwd=ROOT,
                env={
                    **os.environ,
                    "KAFKA_STATE_DIR": str(state_dir),
                    "KAFKA_HEAP_OPTS": SMALL_HEAP,
                    **env,
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=180)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert sum("already running" in out for out in outputs) == 1, outputs
        assert sum(f"ready on 127.0.0.1:{port}" in out for out in outputs) == 1, outputs
        status = cli(state_dir, "status", **env)
        assert status.returncode == 0, status.stdout
    finally:
        stopped = cli(state_dir, "stop", **env)
    assert "kafka stopped" in stopped.stdout
    assert cli(state_dir, "status", **env).returncode == 1


def test_a_port_held_by_a_connection_is_refused_before_the_broker_starts(
    tmp_path: Path,
) -> None:
    # Such a port refuses connections, so a connect() probe calls it free; the JVM then
    # fails to bind it and exits during startup, saying less.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            held = client.getsockname()[1]
            with pytest.raises(LauncherError, match=f"port {held} of kafka node 1 is taken"):
                Cluster.start(tmp_path / "kafka", base_port=held, controller_port=free_port())
    assert not (tmp_path / "kafka" / "node-1" / "broker.log").exists(), "a JVM was launched"


async def test_kafka_3_9_1_still_starts(tmp_path: Path) -> None:
    cluster = Cluster.start(tmp_path / "kafka", version="3.9.1", heap=SMALL_HEAP)
    try:
        assert cluster.bootstrap is not None
        topic = f"old-{uuid.uuid4().hex[:8]}"
        await create_topic(cluster.bootstrap, topic)
        assert len(await round_trip(cluster.bootstrap, topic)) == 10
        assert "3.9.1" in (cluster.runtime.libs.name)
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster.start(
        tmp_path_factory.mktemp("trio"),
        brokers=3,
        heap=SMALL_HEAP,
        # A dead node leaves the ISR and loses its leaderships sooner than the defaults.
        extra_config={"replica.lag.time.max.ms": "5000", "broker.session.timeout.ms": "6000"},
    )
    try:
        yield cluster
    finally:
        cluster.stop()


def test_three_nodes_have_their_own_ports_and_dirs(trio: Cluster) -> None:
    nodes = trio.descriptor["nodes"]
    assert [n["id"] for n in nodes] == [1, 2, 3]
    ports = [p for n in nodes for p in (n["client_port"], n["controller_port"])]
    assert len(set(ports)) == 6
    assert len({n["state_dir"] for n in nodes}) == 3
    assert trio.bootstrap == ",".join(f"127.0.0.1:{n['client_port']}" for n in nodes)
    config = (trio.node(2).config_file).read_text()
    assert "min.insync.replicas=2\n" in config
    assert "replica.lag.time.max.ms=5000\n" in config


async def test_an_rf3_topic_survives_a_sigkill_and_a_restart(trio: Cluster) -> None:
    bootstrap = trio.bootstrap
    assert bootstrap is not None
    topic = f"trio-{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap, topic, replication=3)

    async def fully_replicated() -> bool:
        # The node asked may not have the new topic's metadata yet: it then lists none.
        isr = await in_sync_replicas(bootstrap, topic)
        return len(isr) == 3 and set(map(tuple, isr.values())) == {(1, 2, 3)}

    await wait_for(fully_replicated)

    victim = trio.node((await leaders(bootstrap, topic))[0])
    others = ",".join(n.address for n in trio.nodes if n is not victim)
    victim.kill()
    assert victim.pid is None

    async def moved() -> bool:
        return victim.id not in (await leaders(others, topic)).values()

    await wait_for(moved)
    assert len(await round_trip(others, topic)) == 10  # acks=all with 2 of 3 in sync

    victim.start()
    assert victim.pid is not None

    async def caught_up() -> bool:
        isr = await in_sync_replicas(bootstrap, topic)
        return all(len(replicas) == 3 for replicas in isr.values())

    await wait_for(caught_up)


def test_a_paused_node_is_stopped_until_resumed(trio: Cluster) -> None:
    node = trio.node(3)
    node.pause()
    try:
        pid = node.pid
        assert pid is not None
        assert state(pid) == "T"
    finally:
        node.resume()
    assert state(pid) in {"S", "R"}
