"""The batches being written while the next poll is planned.

Planning a poll is this process's CPU; writing it is mostly waiting for Kafka (the
acknowledgements, then a transaction's or a commit's round trips). Done one after the
other, the process sat idle for a fifth of a drain. So the consume loop plans poll N+1
while poll N's batches are delivered, and settles N before it sends N+1. Two rules keep
the output exact:

- a partition's next batch is sent only once its previous one is settled, and only if
  that one was committed: otherwise the partition resumes from its last commit and the
  batch planned after it is dropped (`Partitions.continues`);
- the deliveries of the batches in flight count as already seen when the next poll is
  de-duplicated: if they are not committed, what was planned on that ground is dropped
  with them, by the first rule.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from processors.batch import Batch
from processors.dedup import DeliveryKey
from processors.delivery import Delivery, Outcome


@dataclass
class InFlight:
    batches: Sequence[Batch]
    writing: asyncio.Task[dict[TopicPartition, Outcome]]
    started: float  # perf_counter when the poll's planning began
    started_ns: int  # wall clock then, for the spans
    deliveries: frozenset[DeliveryKey] = field(default_factory=frozenset)

    @classmethod
    def send(
        cls, delivery: Delivery, batches: Sequence[Batch], started: float, started_ns: int
    ) -> InFlight:
        """Start writing `batches`; the caller settles them later with `outcomes`."""
        return cls(
            batches=batches,
            writing=asyncio.ensure_future(delivery.deliver(batches)),
            started=started,
            started_ns=started_ns,
            deliveries=frozenset(key for b in batches for key in b.delivered),
        )

    async def outcomes(self) -> dict[TopicPartition, Outcome]:
        """Each batch's outcome, once all are written or given up."""
        return await self.writing


def now() -> tuple[float, int]:
    """The start of a poll's processing: for its duration and for its spans."""
    return time.perf_counter(), time.time_ns()
