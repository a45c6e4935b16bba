"""The transactional delivery mode against the real broker: fencing a previous owner."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import NewTopic

from fleetwire import clients
from processors.batch import Batch
from processors.delivery import Outcome, Transactional
from processors.output import OutRecord
from tests.support.kafka import CONNECTION
from tests.support.runtime import read_to_end

pytestmark = pytest.mark.kafka


async def create(*topics: str) -> None:
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 1, 1) for t in topics])
    finally:
        await admin.close()


def batch(tp: TopicPartition, next_offset: int, *outputs: tuple[str, bytes]) -> Batch:
    return Batch(
        tp,
        "zubie",
        next_offset=next_offset,
        consumed=1,
        outputs=[
            OutRecord(topic=topic, key=b"key", value=value, headers=[]) for topic, value in outputs
        ],
    )


async def committed(group: str, tp: TopicPartition) -> int | None:
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=[tp])
    finally:
        await admin.close()
    return offsets[tp].offset if tp in offsets else None


async def test_a_fenced_owner_can_neither_finish_nor_start_a_transaction(
    kafka: str, prefix: str
) -> None:
    raw, out, late = f"{prefix}.raw", f"{prefix}.out", f"{prefix}.late"
    await create(raw, out)
    tp = TopicPartition(raw, 0)
    group = f"{prefix}.processor"
    zombie = Transactional(CONNECTION, group, lambda: False)
    successor = Transactional(CONNECTION, group, lambda: False)
    try:
        await zombie.acquire(tp)
        first = await zombie.deliver([batch(tp, 1, (out, b"zombie-1"))])
        assert first == {tp: Outcome.COMMITTED}

        # Half-way through its next transaction (one write made, the next waiting for a
        # topic to exist), the partition moves to another owner.
        halfway = asyncio.create_task(
            zombie.deliver([batch(tp, 2, (out, b"zombie-2"), (late, b"zombie-2"))])
        )
        await asyncio.sleep(0.5)
        assert not halfway.done()
        await successor.acquire(tp)
        assert await committed(group, tp) == 1  # what the successor resumes from
        await create(late)
        assert await halfway == {tp: Outcome.LOST}

        # A fenced owner's next transaction fails too.
        assert await zombie.deliver([batch(tp, 3, (out, b"zombie-3"))]) == {tp: Outcome.LOST}
        assert await successor.deliver([batch(tp, 2, (out, b"successor-2"))]) == {
            tp: Outcome.COMMITTED
        }
    finally:
        await zombie.stop()
        await successor.stop()

    assert [r.value for r in await read_to_end(out)] == [b"zombie-1", b"successor-2"]
    assert await read_to_end(late) == []
    assert await committed(group, tp) == 2
