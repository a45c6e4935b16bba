"""Rebalances keep the transactional producers of the partitions that stay, and nothing else.

A partition given back in the generation right after the one that revoked it had no
other owner in between, so its producer still holds the transactional id. Any other
case (a generation skipped, a member that lost its place) takes the id over anew.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from processors.delivery import Outcome, Transactional
from tests.processors.test_crash_recovery import check_output, shared
from tests.processors.test_delivery import batch, committed, create
from tests.support.backlog import produce, trips
from tests.support.kafka import CONNECTION
from tests.support.runtime import processed, provision, read_to_end, start, until

pytestmark = pytest.mark.kafka

BACKLOG = 6_000


async def test_a_partition_given_back_at_once_keeps_its_producer(kafka: str, prefix: str) -> None:
    raw, out = f"{prefix}.raw", f"{prefix}.out"
    await create(raw, out)
    tp = TopicPartition(raw, 0)
    group = f"{prefix}.processor"
    delivery = Transactional(CONNECTION, group, lambda: False)
    try:
        await delivery.acquire(tp)
        before = delivery.producer(tp)
        assert await delivery.deliver([batch(tp, 1, (out, b"one"))]) == {tp: Outcome.COMMITTED}
        await delivery.set_aside(tp, 5)
        assert delivery.producer(tp) is None  # revoked: nothing is written meanwhile
        await delivery.reclaim({tp}, 6)
        await delivery.acquire(tp)
        assert delivery.producer(tp) is before
        assert await delivery.deliver([batch(tp, 2, (out, b"two"))]) == {tp: Outcome.COMMITTED}
    finally:
        await delivery.stop()
    assert [r.value for r in await read_to_end(out)] == [b"one", b"two"]
    assert await committed(group, tp) == 2


@pytest.mark.parametrize(
    "case",
    [(5, 7, True), (None, 6, True), (5, 6, False)],
    ids=["a-generation-skipped", "place-in-group-lost", "not-given-back"],
)
async def test_otherwise_the_id_is_taken_over_anew(
    kafka: str, prefix: str, case: tuple[int | None, int, bool], caplog: pytest.LogCaptureFixture
) -> None:
    revoked_in, assigned_in, assigned = case  # generations; given back or not
    caplog.set_level(logging.INFO, logger="processors.delivery")
    raw, out = f"{prefix}.raw", f"{prefix}.out"
    await create(raw, out)
    tp = TopicPartition(raw, 0)
    delivery = Transactional(CONNECTION, f"{prefix}.processor", lambda: False)
    try:
        await delivery.acquire(tp)
        before = delivery.producer(tp)
        assert before is not None
        await delivery.set_aside(tp, revoked_in)
        await delivery.reclaim({tp} if assigned else set(), assigned_in)
        assert delivery.producer(tp) is None
        if revoked_in is not None:  # else closed at once, never set aside
            # Closed, not left holding the id.
            assert "rebalance: kept the producers of 0 partitions, closed 1" in caplog.messages
        if assigned:
            await delivery.acquire(tp)
            after = delivery.producer(tp)
            assert after is not None
            assert after is not before
            assert await delivery.deliver([batch(tp, 1, (out, b"v"))]) == {tp: Outcome.COMMITTED}
    finally:
        await delivery.stop()


async def test_a_member_joining_mid_backlog_leaves_the_first_its_kept_producers(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    await produce(raw_topic, trips(BACKLOG))
    first = start(env, tmp_path, "first", "exactly-once")
    second = None
    try:
        await until(lambda: first.produced() >= 500, 60, "the first processor to get going")
        second = start(env, tmp_path, "second", "exactly-once")
        await until(lambda: shared(first, second, 6), 60, "the two processors to share")
        await until(lambda: processed(prefix, raw_topic), 120, "the backlog to be processed")
    finally:
        assert first.service.stop() == 0, first.service.output()
        if second is not None:
            assert second.service.stop() == 0, second.service.output()
    kept = [
        (int(k), int(c))
        for k, c in re.findall(
            r"rebalance: kept the producers of (\d+) partitions, closed (\d+)",
            first.service.output(),
        )
    ]
    # The first had all six: those it keeps after the second joined keep their producers,
    # the others' producers are closed, and every event is still there exactly once.
    assert kept, first.service.output()
    assert kept[0][0] >= 1
    assert sum(kept[0]) == 6
    await check_output(prefix, BACKLOG, "exactly-once")
