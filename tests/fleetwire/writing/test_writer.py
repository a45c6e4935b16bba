"""The batched writer against the real broker, and its partition choice against Kafka's."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.kafka import durable_producer
from fleetwire.topics import TopicSpec, ensure_topics
from fleetwire.writing.batches import KeyPartitions, Writer
from processors.output import OutRecord
from tests.support.kafka import connection, read_all


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=64))
def test_a_key_goes_where_the_default_partitioner_puts_it(key: bytes, count: int) -> None:
    partitions = list(range(count))
    expected = DefaultPartitioner()(key, partitions, partitions)
    remembering = KeyPartitions(max_keys=4)
    assert remembering.of(key, count) == expected
    assert remembering.of(key, count) == expected  # and again, from memory


def test_forgetting_keeps_the_answers_right() -> None:
    partitions = KeyPartitions(max_keys=3)
    keys = [f"vin:{n}".encode() for n in range(20)]
    first = [partitions.of(k, 6) for k in keys]
    assert [partitions.of(k, 6) for k in keys] == first


async def test_every_record_arrives_in_order_per_key_across_full_batches(
    kafka: str, prefix: str
) -> None:
    topic = f"{prefix}.out"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 3)])
    # Records of 10 KB against 64 KB batches: several batches per partition.
    outputs = [
        OutRecord(
            topic=topic,
            key=f"vin:{n % 7}".encode(),
            value=f"{n:06d}".encode() + b"x" * 10_000,
            headers=[],
        )
        for n in range(120)
    ]
    producer = durable_producer(connection(kafka), max_batch_size=64 * 1024)
    await producer.start()
    try:
        await Writer().write(producer, outputs)
    finally:
        await producer.stop()
    records = await read_all(topic, expect=len(outputs))
    by_key: dict[bytes, list[int]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(int(record.value[:6]))
    assert sum(len(v) for v in by_key.values()) == len(outputs)
    for key, numbers in by_key.items():
        assert numbers == sorted(numbers), key
        assert {r.partition for r in records if r.key == key} == {KeyPartitions().of(key, 3)}
