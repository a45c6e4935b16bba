"""The raw partitions this processor owns, and from which offset each one resumes.

A partition is processed only while it is *ready*: acquired from the delivery mode (in
exactly-once mode that fences its previous owner), its committed offset read afterwards,
and the consumer positioned there. Everything else the consumer hands out is set aside and
read again later, from the committed offset:

- records of a partition that is not ready (just assigned, or waiting to be retried);
- records fetched by a poll that started before the partition was last positioned: they
  may come from before a rebalance, or from a position the committed offset overrides.

A batch that could not be committed makes its partition pending again: after a backoff it
is acquired and positioned anew, so nothing is ever committed past unwritten output and a
failing partition never spins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError

from processors import metrics
from processors.delivery import Abandoned, Delivery, Interrupted, Outcome, patiently

log = logging.getLogger(__name__)

RETRY_BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)


class Partitions:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        delivery: Delivery,
        interrupted: Interrupted,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer = consumer
        self._clock = clock
        self._delivery = delivery
        self._interrupted = interrupted
        self._next: dict[TopicPartition, int] = {}  # ready partitions: offset to process next
        self._pending: dict[TopicPartition, float] = {}  # when to try taking it over again
        self._failures: dict[TopicPartition, int] = {}  # in a row, since the last commit
        self._fresh_from: dict[TopicPartition, int] = {}  # first poll positioned correctly
        self._polls = 0

    def poll_started(self) -> int:
        """Number the poll about to start, to tell fresh records from stale ones."""
        self._polls += 1
        return self._polls

    def owned(self) -> list[TopicPartition]:
        return sorted({*self._next, *self._pending})

    async def assigned(self, tps: Iterable[TopicPartition], generation: int | None = None) -> None:
        """`tps` are ours in group generation `generation` (None: not known)."""
        tps = list(tps)
        if generation is not None:  # after a join, always: it closes what was set aside
            await self._delivery.reclaim(set(tps), generation)
        for tp in tps:
            self._pending[tp] = 0.0
        await self.prepare()

    async def revoked(self, tps: Iterable[TopicPartition], generation: int | None = None) -> None:
        """`tps` are ours no more: by a rebalance of `generation`, or for good (None)."""
        tps = list(tps)
        for tp in tps:
            self._next.pop(tp, None)
            self._pending.pop(tp, None)
            self._failures.pop(tp, None)
            self._fresh_from.pop(tp, None)
            _forget_lag(tp)
        if generation is None:
            await asyncio.gather(*(self._delivery.release(tp) for tp in tps))
        else:
            await asyncio.gather(*(self._delivery.set_aside(tp, generation) for tp in tps))

    async def release_all(self) -> None:
        await self.revoked(self.owned())

    async def prepare(self) -> None:
        """Make the pending partitions whose backoff is over ready."""
        now = self._clock()
        due = [tp for tp, retry_at in self._pending.items() if retry_at <= now]
        await asyncio.gather(*(self._prepare(tp) for tp in due))

    async def _prepare(self, tp: TopicPartition) -> None:
        self._pause(tp)
        try:
            offset = await patiently(
                self._take_over(tp), self._interrupted, f"taking over {tp.topic}[{tp.partition}]"
            )
        except (KafkaError, Abandoned) as exc:
            self._backoff(tp, f"cannot take over the partition yet ({exc})")
            return
        if tp not in self._pending:
            return  # revoked meanwhile
        del self._pending[tp]
        self._position(tp, offset)
        log.info("processing %s[%d] from offset %d", tp.topic, tp.partition, offset)

    async def _take_over(self, tp: TopicPartition) -> int:
        """Acquire `tp`, then read where it resumes: in this order, so that the commits of
        a previous owner are all visible."""
        await self._delivery.acquire(tp)
        committed = await self._consumer.committed(tp)
        if committed is not None:
            return int(committed)
        beginning = await self._consumer.beginning_offsets([tp])
        return int(beginning[tp])

    def fresh(self, tp: TopicPartition, messages: Sequence[Any], poll: int) -> list[Any]:
        """The records of `tp` from poll number `poll` that may be processed now."""
        next_offset = self._next.get(tp)
        if next_offset is None:
            return []  # not ours, or not ready: read again once it is
        if poll < self._fresh_from[tp]:
            self._position(tp, next_offset)  # the poll may have moved the position: undo
            return []
        return [m for m in messages if m.offset >= next_offset]

    def settle(self, tp: TopicPartition, outcome: Outcome, next_offset: int) -> None:
        if tp not in self._next:
            return
        if outcome is Outcome.COMMITTED:
            self._next[tp] = next_offset
            self._failures.pop(tp, None)
        elif outcome is Outcome.RETRY:
            del self._next[tp]
            self._backoff(tp, "batch not committed")
        else:  # LOST: another member has it; the coming rebalance says what is ours
            del self._next[tp]
            self._pause(tp)

    def _backoff(self, tp: TopicPartition, why: str) -> None:
        failures = self._failures.get(tp, 0) + 1
        self._failures[tp] = failures
        delay = RETRY_BACKOFF_S[min(failures - 1, len(RETRY_BACKOFF_S) - 1)]
        self._pending[tp] = self._clock() + delay
        self._pause(tp)
        log.warning("%s[%d]: %s; retrying in %.2fs", tp.topic, tp.partition, why, delay)

    def _position(self, tp: TopicPartition, offset: int) -> None:
        self._next[tp] = offset
        self._fresh_from[tp] = self._polls + 1
        try:
            self._consumer.seek(tp, offset)
            self._consumer.resume(tp)
        except IllegalStateError:
            self._next.pop(tp, None)  # no longer assigned; the rebalance listener follows

    def _pause(self, tp: TopicPartition) -> None:
        with contextlib.suppress(IllegalStateError):  # no longer assigned: nothing to pause
            self._consumer.pause(tp)

    def observe_lag(self) -> None:
        """Records behind the end of each ready partition, as of the last fetch. A pending
        partition keeps the figure it had when it stopped moving."""
        for tp, next_offset in self._next.items():
            try:
                highwater = self._consumer.highwater(tp)
            except AssertionError:  # aiokafka asserts the partition is assigned
                continue
            if highwater is not None:
                lag = max(0, highwater - next_offset)
                metrics.LAG.labels(tp.topic, str(tp.partition)).set(lag)


def _forget_lag(tp: TopicPartition) -> None:
    with contextlib.suppress(KeyError):  # never observed
        metrics.LAG.remove(tp.topic, str(tp.partition))
