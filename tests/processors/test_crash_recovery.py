"""Crashes and rebalances in the middle of a backlog, against the real broker.

In exactly-once mode a read_committed consumer must see every expected event exactly once;
in at-least-once mode every expected event at least once.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from tests.support.backlog import produce, trips
from tests.support.runtime import (
    Processor,
    assignment,
    events,
    processed,
    provision,
    read_to_end,
    start,
    trip_ids,
    until,
)

pytestmark = pytest.mark.kafka

BACKLOG = 10_000


async def check_output(prefix: str, count: int, mode: str) -> None:
    expected = {str(1_000_000 + n) for n in range(count)}
    topic = f"{prefix}.canonical.trips"
    # The group's offsets can be visible a moment before the last transaction markers.
    records: list[object] = []

    async def complete() -> bool:
        records[:] = await read_to_end(topic)
        return set(trip_ids(records)) >= expected

    await until(complete, 30, "every expected canonical event")
    assert set(trip_ids(records)) == expected
    if mode == "exactly-once":
        assert max(trip_ids(records).values()) == 1
        assert max(Counter(e["id"] for e in events(records)).values()) == 1


@pytest.mark.parametrize("mode", ["exactly-once", "at-least-once"])
async def test_sigkill_in_the_middle_of_a_backlog_then_restart(
    kafka: str, prefix: str, tmp_path: Path, mode: str
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    await produce(raw_topic, trips(BACKLOG))

    first = start(env, tmp_path, "first", mode)
    await until(lambda: first.produced() >= 1000, 60, "the first processor to get going")
    first.service.stop(signal.SIGKILL)

    second = start(env, tmp_path, "second", mode)
    try:
        await until(lambda: processed(prefix, raw_topic), 90, "the backlog to be processed")
        assert second.consumed() > 0, "the first processor had finished before the kill"
    finally:
        assert second.service.stop() == 0, second.service.output()
    await check_output(prefix, BACKLOG, mode)


@pytest.mark.parametrize(
    ("mode", "how"),
    [
        ("exactly-once", signal.SIGTERM),
        ("exactly-once", signal.SIGSTOP),  # a zombie: frozen, then back after losing its work
        ("at-least-once", signal.SIGTERM),
    ],
    ids=["exactly-once-sigterm", "exactly-once-zombie", "at-least-once-sigterm"],
)
async def test_two_processors_one_stopped_half_way(
    kafka: str, prefix: str, tmp_path: Path, mode: str, how: signal.Signals
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    a = start(env, tmp_path, "a", mode)
    b = start(env, tmp_path, "b", mode)
    processors: list[Processor] = [a, b]
    try:
        await until(lambda: shared(a, b, 6), 30, "the two processors to share the partitions")
        await produce(raw_topic, trips(BACKLOG))
        await until(lambda: a.produced() + b.produced() >= BACKLOG / 3, 60, "work to start")
        if how == signal.SIGSTOP:
            a.service.process.send_signal(signal.SIGSTOP)
        else:
            assert a.service.stop(how) == 0, a.service.output()
            processors.remove(a)
        # A frozen member holds its partitions until its session times out (10 s).
        await until(lambda: processed(prefix, raw_topic), 90, "the backlog to be processed")
        if how == signal.SIGSTOP:
            a.service.process.send_signal(signal.SIGCONT)
            # Back, it finds itself fenced and out of the group, and rejoins it.
            await until(lambda: shared(a, b, 6), 30, "the zombie to rejoin")
    finally:
        for processor in processors:
            processor.service.process.send_signal(signal.SIGCONT)
            assert processor.service.stop() == 0, processor.service.output()
    await check_output(prefix, BACKLOG, mode)


def shared(a: Processor, b: Processor, partitions: int) -> bool:
    mine, theirs = assignment(a), assignment(b)
    return bool(mine) and bool(theirs) and not mine & theirs and len(mine | theirs) == partitions
