"""Raw records written as batches: every request answered, each partition in call order."""

from __future__ import annotations

import asyncio

import pytest

from fleetwire.kafka import raw_partitioner
from fleetwire.topics import TopicSpec, ensure_topics
from fleetwire.writing.batches import _Batch
from ingress.publisher import RawPublisher
from tests.support.kafka import connection, read_all

pytestmark = pytest.mark.kafka


def test_a_batch_counts_the_records_written_after_their_request_gave_up() -> None:
    loop = asyncio.new_event_loop()
    try:
        batch = _Batch(builder=None)
        answered, gave_up, also_gave_up = (loop.create_future() for _ in range(3))
        gave_up.cancel()  # its request hit the publish deadline and was answered 503
        also_gave_up.cancel()
        batch.waiters = [answered, gave_up, also_gave_up]
        written = loop.create_future()
        written.set_result(None)
        assert batch.settle(written) == 2
        assert answered.done()
        assert answered.exception() is None

        refused = _Batch(builder=None)
        waiting, late = loop.create_future(), loop.create_future()
        late.cancel()
        refused.waiters = [waiting, late]
        failed = loop.create_future()
        failed.set_exception(RuntimeError("not leader"))
        assert refused.settle(failed) == 0  # nothing was written: nothing came late
        assert isinstance(waiting.exception(), RuntimeError)
    finally:
        loop.close()


async def test_concurrent_writes_keep_their_order_within_a_partition(
    kafka: str, prefix: str
) -> None:
    topic = f"{prefix}.raw.zubie"
    await ensure_topics(connection(kafka), [TopicSpec(topic, 3)])
    publisher = RawPublisher(connection(kafka), timeout_s=10.0, max_record_bytes=1024 * 1024)
    await publisher.start(wait=True)
    keys = [f"delivery-{i % 7}".encode() for i in range(300)]
    try:
        # Several loop turns' worth, so that batches gather while others are at Kafka.
        for start in range(0, len(keys), 60):
            writes = [
                publisher.publish(topic, key, str(n).encode(), [("n", str(n).encode())])
                for n, key in enumerate(keys[start : start + 60], start)
            ]
            await asyncio.gather(*writes)
    finally:
        await publisher.stop()
    records = await read_all(topic, expect=len(keys), timeout=20)
    assert sorted(int(r.value) for r in records) == list(range(len(keys)))
    by_partition: dict[int, list[int]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert record.partition == raw_partitioner(record.key, range(3), range(3))
        assert dict(record.headers)["n"] == record.value
        by_partition.setdefault(record.partition, []).append(int(record.value))
    for numbers in by_partition.values():
        assert numbers == sorted(numbers)


async def test_a_record_larger_than_a_batch_goes_alone(kafka: str, prefix: str) -> None:
    topic = f"{prefix}.raw.zubie"
    await ensure_topics(
        connection(kafka), [TopicSpec(topic, 1, config={"max.message.bytes": str(2 << 20)})]
    )
    publisher = RawPublisher(connection(kafka), timeout_s=10.0, max_record_bytes=2 << 20)
    await publisher.start(wait=True)
    big = b"x" * (1 << 20)  # larger than the producer's batch size
    try:
        await asyncio.gather(
            publisher.publish(topic, b"a", b"small", []),
            publisher.publish(topic, b"b", big, []),
            publisher.publish(topic, b"c", b"small again", []),
        )
    finally:
        await publisher.stop()
    records = await read_all(topic, expect=3, timeout=20)
    assert [r.value for r in sorted(records, key=lambda r: r.offset)] == [
        b"small",
        big,
        b"small again",
    ]
