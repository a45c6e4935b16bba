"""Where raw records go: the same key to the same partition, on the real broker too."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.kafka import raw_partitioner
from fleetwire.topics import TopicSpec, ensure_topics
from ingress.publisher import RawPublisher
from tests.support.kafka import connection, read_all

keys = st.binary(min_size=1, max_size=128)
counts = st.integers(min_value=1, max_value=64)


@given(key=keys, count=counts)
def test_a_key_always_gets_the_same_partition_of_the_topic(key: bytes, count: int) -> None:
    partitions = list(range(count))
    chosen = raw_partitioner(key, partitions, partitions)
    assert chosen in partitions
    # Which partitions are available right now must not move a key: a retry of a
    # delivery during a broker hiccup goes where the first attempt went.
    assert raw_partitioner(bytes(key), partitions, partitions[:1]) == chosen


def test_delivery_ids_spread_over_every_partition() -> None:
    partitions = list(range(6))
    chosen = {raw_partitioner(f"delivery-{i}".encode(), partitions, partitions) for i in range(200)}
    assert chosen == set(partitions)


@pytest.mark.kafka
async def test_the_ingress_writes_each_key_where_the_raw_partitioner_says(
    kafka: str, prefix: str
) -> None:
    topic = f"{prefix}.raw.zubie"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 6)])
    keys = [f"delivery-{i}".encode() for i in range(12)]
    publisher = RawPublisher(connection(kafka), timeout_s=10.0, max_record_bytes=1024 * 1024)
    await publisher.start(wait=True)
    try:
        for attempt in (b"first", b"retry"):
            await asyncio.gather(*(publisher.publish(topic, k, attempt, []) for k in keys))
    finally:
        await publisher.stop()
    records = await read_all(topic, expect=2 * len(keys), timeout=10)
    assert len(records) == 2 * len(keys)
    for record in records:
        assert record.partition == raw_partitioner(record.key, range(6), range(6))
    assert len({r.partition for r in records}) > 1
