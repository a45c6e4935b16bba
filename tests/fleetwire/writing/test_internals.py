"""What the write path relies on inside aiokafka is there, on the pinned aiokafka.

If an aiokafka release moves one of these, `problems()` names it and the first test
fails with that list: fix fleetwire.writing.internals before raising the pin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from fleetwire import clients
from fleetwire.kafka import durable_producer
from fleetwire.topics import TopicSpec, ensure_topics
from fleetwire.writing import internals
from tests.support.kafka import connection


@pytest.fixture
async def member(kafka: str, prefix: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer that joined a group of its own on a topic of one partition."""
    topic = f"{prefix}.in"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 1)])
    consumer = clients.consumer(
        connection(kafka), topic, group_id=f"{prefix}.group", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        yield consumer
    finally:
        await consumer.stop()


def transactional(kafka: str, prefix: str) -> AIOKafkaProducer:
    return durable_producer(connection(kafka), transactional_id=f"{prefix}.txn")


async def test_the_pinned_aiokafka_has_everything_relied_upon(
    kafka: str, prefix: str, member: AIOKafkaConsumer
) -> None:
    producer = transactional(kafka, prefix)
    found = internals.problems(producer, member)
    assert found == [], "aiokafka moved what fleetwire.writing.internals uses:\n" + "\n".join(found)


async def test_a_missing_attribute_is_named(
    kafka: str, prefix: str, member: AIOKafkaConsumer
) -> None:
    producer = transactional(kafka, prefix)
    producer._message_accumulator = SimpleNamespace(  # an accumulator without `_batches`
        _closed=False, _exception=None, _append_batch=lambda builder, tp: None
    )
    assert internals.problems(producer, member) == [
        "AIOKafkaProducer._message_accumulator._batches is gone from aiokafka"
    ]


async def test_a_changed_signature_is_named(
    kafka: str, prefix: str, member: AIOKafkaConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    producer = transactional(kafka, prefix)

    def append_batch(builder: Any, tp: Any, timestamp: Any) -> None: ...

    monkeypatch.setattr(producer._message_accumulator, "_append_batch", append_batch)
    assert internals.problems(producer, member) == [
        "AIOKafkaProducer._message_accumulator._append_batch() takes "
        "('builder', 'tp', 'timestamp') now, not ('builder', 'tp')"
    ]


async def test_a_transaction_is_seen_open_until_it_ends(kafka: str, prefix: str) -> None:
    topic = f"{prefix}.out"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 1)])
    producer = transactional(kafka, prefix)
    await producer.start()
    try:
        assert not internals.transaction_open(producer)
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"v", key=b"k")
        assert internals.transaction_open(producer)
        await producer.commit_transaction()
        assert not internals.transaction_open(producer)
        outcome = internals.last_transaction_outcome(producer)
        assert outcome is not None
        assert outcome.exception() is None
        assert internals.sender_failure(producer) is None
    finally:
        await producer.stop()


async def test_a_queued_batch_is_written(kafka: str, prefix: str) -> None:
    topic = f"{prefix}.out"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 1)])
    producer = durable_producer(connection(kafka))
    await producer.start()
    try:
        await producer.partitions_for(topic)
        builder = producer.create_batch()
        builder.append(timestamp=None, key=b"k", value=b"v", headers=[])
        builder.close()
        queued = internals.queue_batch(producer, builder, TopicPartition(topic, 0))
        assert queued is not None
        metadata = await queued
        assert metadata.offset == 0
    finally:
        await producer.stop()


async def test_a_member_knows_its_generation_and_the_partitions(
    prefix: str, member: AIOKafkaConsumer
) -> None:
    generation = internals.generation(member)
    assert isinstance(generation, int)
    assert generation >= 1
    assert await internals.partitions_of(member, f"{prefix}.in") == {0}
    assert await internals.partitions_of(member, f"{prefix}.absent") is None
