"""Which records a processor may process, and where a partition resumes (no broker needed)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError

from processors.batch import Batch
from processors.delivery import Outcome
from processors.partitions import Partitions

TP = TopicPartition("p.raw.zubie", 3)


@dataclass
class Message:
    offset: int


@dataclass
class World:
    """A consumer and a delivery mode that record, in one list, what was asked of them."""

    events: list[tuple[str, ...]] = field(default_factory=list)
    commits: dict[TopicPartition, int] = field(default_factory=dict)
    paused: set[TopicPartition] = field(default_factory=set)
    failures: int = 0  # how many acquisitions fail before one succeeds
    now: float = 0.0
    acquired_at: list[float] = field(default_factory=list)

    # consumer
    async def committed(self, tp: TopicPartition) -> int | None:
        self.events.append(("committed", str(tp.partition)))
        return self.commits.get(tp)

    async def beginning_offsets(self, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 7)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.events.append(("seek", str(tp.partition), str(offset)))

    def pause(self, tp: TopicPartition) -> None:
        self.paused.add(tp)

    def resume(self, tp: TopicPartition) -> None:
        self.paused.discard(tp)

    def highwater(self, tp: TopicPartition) -> int | None:
        return None

    # delivery
    async def acquire(self, tp: TopicPartition) -> None:
        self.events.append(("acquire", str(tp.partition)))
        self.acquired_at.append(self.now)
        if self.failures:
            self.failures -= 1
            raise KafkaConnectionError("broker away")

    async def release(self, tp: TopicPartition) -> None:
        self.events.append(("release", str(tp.partition)))

    async def deliver(self, batches: Sequence[Batch]) -> dict[TopicPartition, Outcome]:
        raise AssertionError("not used here")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture
def world() -> World:
    return World(commits={TP: 42})


@pytest.fixture
def partitions(world: World) -> Partitions:
    return Partitions(world, world, lambda: False, clock=lambda: world.now)  # type: ignore[arg-type]


def offsets(records: list[Message]) -> list[int]:
    return [m.offset for m in records]


async def test_a_partition_resumes_from_the_commit_read_after_taking_it_over(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])
    assert world.events == [("acquire", "3"), ("committed", "3"), ("seek", "3", "42")]
    assert TP not in world.paused
    poll = partitions.poll_started()
    assert offsets(partitions.fresh(TP, [Message(42), Message(43)], poll)) == [42, 43]


async def test_without_a_commit_a_partition_starts_at_its_beginning(world: World) -> None:
    world.commits.clear()
    partitions = Partitions(world, world, lambda: False)  # type: ignore[arg-type]
    await partitions.assigned([TP])
    assert world.events[-1] == ("seek", "3", "7")


async def test_a_poll_that_started_before_the_partition_was_positioned_is_read_again(
    world: World, partitions: Partitions
) -> None:
    early = partitions.poll_started()  # a poll in flight while the group rebalances
    await partitions.assigned([TP])
    world.events.clear()
    assert partitions.fresh(TP, [Message(10), Message(11)], early) == []
    assert world.events == [("seek", "3", "42")]  # undo whatever that poll consumed
    later = partitions.poll_started()
    assert offsets(partitions.fresh(TP, [Message(42)], later)) == [42]


async def test_records_before_the_resume_offset_are_never_processed_again(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])
    poll = partitions.poll_started()
    records = [Message(o) for o in range(40, 46)]
    assert offsets(partitions.fresh(TP, records, poll)) == [42, 43, 44, 45]
    partitions.settle(TP, Outcome.COMMITTED, 46)
    assert offsets(partitions.fresh(TP, records, partitions.poll_started())) == []


async def test_records_of_a_partition_not_owned_are_ignored(partitions: Partitions) -> None:
    poll = partitions.poll_started()
    assert partitions.fresh(TP, [Message(1)], poll) == []


async def test_a_batch_not_committed_is_retried_from_the_commit_after_a_backoff(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])
    partitions.settle(TP, Outcome.RETRY, 100)
    assert TP in world.paused
    assert partitions.fresh(TP, [Message(42)], partitions.poll_started()) == []
    world.events.clear()
    await partitions.prepare()
    assert world.events == []  # the backoff is not over
    world.now += 1.0
    await partitions.prepare()
    assert world.events == [("acquire", "3"), ("committed", "3"), ("seek", "3", "42")]
    assert TP not in world.paused


async def test_backoff_grows_while_taking_a_partition_over_keeps_failing(
    world: World, partitions: Partitions
) -> None:
    world.failures = 3
    await partitions.assigned([TP])
    for _ in range(200):  # ten simulated seconds
        world.now += 0.05
        await partitions.prepare()
    attempts = world.acquired_at
    assert len(attempts) == 4  # three failures, then success, and then no more attempts
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps == sorted(gaps)
    assert gaps[0] < gaps[-1]
    assert world.events[-1] == ("seek", "3", "42")
    assert TP not in world.paused


async def test_a_partition_lost_to_another_owner_waits_for_the_next_assignment(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])
    partitions.settle(TP, Outcome.LOST, 50)
    assert TP in world.paused
    world.events.clear()
    world.now += 60
    await partitions.prepare()
    assert world.events == []  # never taken back behind the group's back
    assert partitions.fresh(TP, [Message(42)], partitions.poll_started()) == []
    await partitions.revoked([TP])
    await partitions.assigned([TP])
    assert world.events == [
        ("release", "3"),
        ("acquire", "3"),
        ("committed", "3"),
        ("seek", "3", "42"),
    ]


async def test_revoked_partitions_are_released_and_not_processed(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])
    poll = partitions.poll_started()
    await partitions.revoked([TP])
    assert ("release", "3") in world.events
    assert partitions.owned() == []
    assert partitions.fresh(TP, [Message(42)], poll) == []


async def test_backoff_grows_while_batches_keep_failing_and_resets_on_a_commit(
    world: World, partitions: Partitions
) -> None:
    await partitions.assigned([TP])

    async def fail_and_wait() -> float:
        """Fail a batch; how long until the partition is taken over again."""
        partitions.settle(TP, Outcome.RETRY, 100)
        failed_at, before = world.now, len(world.acquired_at)
        while len(world.acquired_at) == before:
            world.now += 0.05
            await partitions.prepare()
        return world.now - failed_at

    waits = [await fail_and_wait() for _ in range(4)]
    assert waits == sorted(waits)
    assert waits[0] < waits[-1]
    partitions.settle(TP, Outcome.COMMITTED, 43)
    assert await fail_and_wait() == pytest.approx(waits[0])
