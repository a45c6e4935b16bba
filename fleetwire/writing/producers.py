"""A producer's lifecycle beyond start(): whether it still writes, its open transaction, closing.

Built by `fleetwire.kafka` (durable producers) from `fleetwire.clients`' options; what the
public API does not tell comes from `internals`.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, ProducerFenced

from fleetwire.writing import internals
from fleetwire.writing.batches import retrieve

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0


def stopped(producer: AIOKafkaProducer) -> BaseException | None:
    """Why the producer's sender stopped, if it did: after that it delivers nothing."""
    return internals.sender_failure(producer)


def fenced(producer: AIOKafkaProducer) -> bool:
    """True once the producer's sender stopped because another producer took its id."""
    return isinstance(stopped(producer), ProducerFenced)


def in_transaction(producer: AIOKafkaProducer) -> bool:
    return internals.transaction_open(producer)


async def abort_open_transaction(producer: AIOKafkaProducer, name: str) -> None:
    """Abort rather than leave it to the transaction timeout: an open transaction holds
    back every read_committed consumer of the partitions it wrote to."""
    if not in_transaction(producer):
        return
    try:
        await asyncio.wait_for(producer.abort_transaction(), CLOSE_TIMEOUT_S)
    except (KafkaError, TimeoutError, AssertionError) as exc:
        log.info(
            "could not abort the open transaction of %s (%s); the next owner "
            "or the transaction timeout will",
            name,
            exc,
        )


def retrieve_outcome(producer: AIOKafkaProducer) -> None:
    """Look at how the producer's last transaction ended, so that a fenced producer's
    failure is not reported again as an unretrieved exception when it is collected."""
    outcome = internals.last_transaction_outcome(producer)
    if outcome is not None:
        retrieve(outcome)


async def close(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), CLOSE_TIMEOUT_S)
    except (KafkaError, TimeoutError) as exc:
        log.info("producer did not close cleanly: %s", exc)
