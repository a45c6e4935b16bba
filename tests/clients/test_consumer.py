"""The client's consumer against the real canonical topics, after the pipeline processed
every sample: each event handled once, committed only after its handler returned."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from fleetwire import clients
from fleetwire_events import DOMAINS, TYPES, Event, MemorySeenStore, is_typed
from fleetwire_events.consumer import Consumer, domains_for
from fleetwire_events.security import Security
from tests.support.ingress import SOURCES, sources_toml
from tests.support.kafka import BOOTSTRAP, CONNECTION
from tests.support.processes import Pipeline, running_pipeline
from tests.support.providers import verifier_for
from tests.support.runtime import processed, read_to_end, until
from tests.support.samples import valid_samples

SOURCES_TOML = sources_toml()


class Crash(Exception):
    pass


@dataclass
class Processed:
    prefix: str
    events: list[dict[str, Any]]  # everything on the canonical topics, read independently


@pytest.fixture(scope="module")
def pipeline_output(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Processed:
    from tests.conftest import RUN_ID

    prefix = f"t{RUN_ID}.client-consumer"
    directory = tmp_path_factory.mktemp("client-consumer")
    with running_pipeline(prefix, SOURCES_TOML, directory) as pipeline:
        asyncio.run(send_every_sample(pipeline))
        records = asyncio.run(canonical_records(prefix))
    return Processed(prefix, [json.loads(r.value) for r in records])


async def send_every_sample(pipeline: Pipeline) -> None:
    async with aiohttp.ClientSession() as session:
        for name, source in SOURCES.items():
            verifier = verifier_for(source)
            for path in valid_samples(source.provider):
                body = path.read_bytes()
                headers = verifier.sign(body, time.time())
                async with session.post(pipeline.url(name), data=body, headers=headers) as r:
                    assert r.status == 200, (path, await r.text())
    for source in SOURCES.values():
        raw = f"{pipeline.prefix}.raw.{source.provider}"
        await until(lambda raw=raw: processed(pipeline.prefix, raw), 60, f"{raw} processed")


async def canonical_records(prefix: str) -> list[Any]:
    return [r for d in DOMAINS for r in await read_to_end(f"{prefix}.canonical.{d}")]


async def caught_up(group: str, topics: tuple[str, ...]) -> bool:
    """Whether `group` has committed every record of `topics`."""
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**clients.client_options(CONNECTION))
    await producer.start()
    try:
        ends: dict[TopicPartition, int] = {}
        for topic in topics:
            for partition in await producer.partitions_for(topic):
                ends[TopicPartition(topic, partition)] = 0
    finally:
        await producer.stop()
    records = dict.fromkeys(ends, 0)
    for record in await asyncio.gather(*(read_to_end(t) for t in topics)):
        for r in record:
            tp = TopicPartition(r.topic, r.partition)
            records[tp] = max(records[tp], r.offset + 1)
    return all(
        n == 0 or (tp in committed and committed[tp].offset >= n) for tp, n in records.items()
    )


@pytest.mark.kafka
async def test_every_event_is_handled_once_and_a_crash_redelivers_only_what_was_unfinished(
    pipeline_output: Processed,
) -> None:
    prefix, written = pipeline_output.prefix, pipeline_output.events
    assert len(written) >= len(DOMAINS)
    group = f"{prefix}.downstream"
    seen = MemorySeenStore()  # shared by both runs, as a team's own store would be

    # A duplicate of an event already written: a consumer must skip it.
    duplicate = written[0]
    producer = AIOKafkaProducer(**clients.client_options(CONNECTION))
    await producer.start()
    try:
        topic = f"{prefix}.canonical.{TYPES[duplicate['type']].domain}"
        await producer.send_and_wait(topic, json.dumps(duplicate).encode(), key=b"dup")
    finally:
        await producer.stop()

    first: list[Event[Any]] = []
    crash_at = len(written) // 2

    async def crashing(event: Event[Any]) -> None:
        if len(first) == crash_at:
            raise Crash(event.id)
        first.append(event)

    consumer = Consumer(group, prefix=prefix, bootstrap_servers=BOOTSTRAP, seen=seen)
    with pytest.raises(Crash) as crashed:
        await asyncio.wait_for(consumer.run(crashing), 60)
    crashed_id = str(crashed.value)

    second: list[Event[Any]] = []

    async def collect(event: Event[Any]) -> None:
        second.append(event)

    stop = asyncio.Event()
    again = Consumer(group, prefix=prefix, bootstrap_servers=BOOTSTRAP, seen=seen)
    running = asyncio.create_task(again.run(collect, stop))
    await until(lambda: caught_up(group, again.topics), 60, "the consumer to commit everything")
    stop.set()
    await asyncio.wait_for(running, 30)

    handled = [e.id for e in first + second]
    assert sorted(handled) == sorted(e["id"] for e in written)  # each once, the duplicate never
    assert crashed_id in {e.id for e in second}  # the event whose handler failed came again
    assert crashed_id not in {e.id for e in first}
    by_id = {e["id"]: e for e in written}
    for event in first + second:
        assert is_typed(event)
        assert type(event.data) is TYPES[event.type].data
        assert event.traceparent == by_id[event.id]["traceparent"]


@pytest.mark.kafka
async def test_a_type_glob_reads_only_its_domains_and_hands_over_only_its_types(
    pipeline_output: Processed,
) -> None:
    prefix, written = pipeline_output.prefix, pipeline_output.events
    trips = sorted(e["id"] for e in written if e["type"].startswith("vehicle.trip."))
    assert trips
    group = f"{prefix}.trips-team"
    handled: list[str] = []

    async def collect(event: Event[Any]) -> None:
        handled.append(event.id)

    consumer = Consumer(group, types=["vehicle.trip.*"], prefix=prefix, bootstrap_servers=BOOTSTRAP)
    assert consumer.topics == (f"{prefix}.canonical.trips",)
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(collect, stop))
    await until(lambda: caught_up(group, consumer.topics), 60, "the trips consumer")
    stop.set()
    await asyncio.wait_for(running, 30)
    assert sorted(handled) == trips


def test_subscriptions_by_domain_and_type_glob() -> None:
    env: dict[str, str] = {}
    assert Consumer("g", env=env).topics == tuple(f"fleetwire.canonical.{d}" for d in DOMAINS)
    assert Consumer("g", domains=["health"], env=env).topics == ("fleetwire.canonical.health",)
    env = {"FLEETWIRE_TOPIC_PREFIX": "acme"}
    assert Consumer("g", types=["driving.*"], env=env).topics == ("acme.canonical.driving",)
    assert domains_for(["vehicle.dtc.*", "vehicle.battery.*"]) == ("charging", "health")
    assert domains_for(["vehicle.teleported"]) == DOMAINS  # a type added later: anywhere
    glob = Consumer("g", types=["vehicle.trip.*", "driving.speeding"], env={})
    assert [glob.wanted(t) for t in ("vehicle.trip.ended", "driving.speeding", "driving.x")] == [
        True,
        True,
        False,
    ]


def test_the_consumer_reads_the_security_settings_from_the_environment() -> None:
    env = {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN"}
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        Consumer("g", env=env)
    explicit = Security()  # explicit settings win over the environment
    assert Consumer("g", env=env, security=explicit).topics
