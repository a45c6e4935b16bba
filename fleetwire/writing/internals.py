"""What fleetwire relies on inside aiokafka, and nothing else does: one module to check.

aiokafka's public API sends records one at a time through a coroutine and hides a
producer's state. The write path needs a little more: to queue a closed record batch
from a callback, to know whether a transaction is open and how the last one ended, why a
producer's sender stopped, a consumer's metadata client and its group generation. Each
is a small function here; `problems()` checks every attribute and method they use on
the installed aiokafka and names what moved (tests/fleetwire/writing/test_internals.py),
so that raising the `<0.15` pin fails a test, not a process in production.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import ProducerClosed

# Attribute paths from a producer that the functions below read.
PRODUCER_ATTRIBUTES = (
    "_message_accumulator._closed",
    "_message_accumulator._exception",
    "_message_accumulator._batches",
    "_txn_manager",
    "_txn_manager.state",
    "_txn_manager._transaction_waiter",
    "_sender.sender_task",
)
# Methods called, with the parameters they are called with.
PRODUCER_METHODS = {"_message_accumulator._append_batch": ("builder", "tp")}
CONSUMER_ATTRIBUTES = ("_client", "_client.cluster", "_coordinator")
CONSUMER_METHODS = {"_client.add_topic": ("topic",)}
# Read on a started consumer of a group only.
COORDINATOR_ATTRIBUTES = ("generation",)
# Transaction states `transaction_open` looks for, by name.
OPEN_STATES = ("IN_TRANSACTION", "ABORTABLE_ERROR")


def queue_batch(
    producer: AIOKafkaProducer, builder: Any, tp: TopicPartition
) -> asyncio.Future[Any] | None:
    """Queue a closed batch in the producer's accumulator at once, as `send_batch` would.

    `send_batch` is a coroutine behind a shielded future: it takes three turns of the
    event loop to queue a batch. The checks are those of `send_batch`; None when the
    accumulator still holds a batch of `tp`, which `send_batch` would wait behind.
    """
    accumulator: Any = producer._message_accumulator
    if accumulator._closed:
        raise ProducerClosed()
    if accumulator._exception is not None:
        raise copy.copy(accumulator._exception)
    if accumulator._batches.get(tp):
        return None
    future: asyncio.Future[Any] = accumulator._append_batch(builder, tp).future
    return future


def transaction_open(producer: AIOKafkaProducer) -> bool:
    """True while the producer has a transaction to commit or abort."""
    manager: Any = producer._txn_manager
    return manager is not None and manager.state.name in OPEN_STATES


def last_transaction_outcome(producer: AIOKafkaProducer) -> asyncio.Future[Any] | None:
    """The future of the producer's last transaction end (commit or abort), once done."""
    waiter: Any = getattr(producer._txn_manager, "_transaction_waiter", None)
    return waiter if waiter is not None and waiter.done() else None


def sender_failure(producer: AIOKafkaProducer) -> BaseException | None:
    """Why the producer's sender stopped, if it did: after that it delivers nothing."""
    task: Any = producer._sender.sender_task
    if task is None or not task.done() or task.cancelled():
        return None
    exception: BaseException | None = task.exception()
    return exception


def metadata_client(consumer: AIOKafkaConsumer) -> Any:
    """The consumer's cluster client: metadata requests, topics to track."""
    return consumer._client


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> set[int] | None:
    """The partitions of `topic` (None if it does not exist), for an assigned consumer."""
    client: Any = consumer._client
    await client.add_topic(topic)
    partitions: set[int] | None = client.cluster.partitions_for_topic(topic)
    return partitions


def generation(consumer: AIOKafkaConsumer) -> int | None:
    """The consumer group generation this member is in; None outside a group, or once
    the group no longer knows this member (aiokafka resets the generation to -1)."""
    coordinator: Any = consumer._coordinator
    found = getattr(coordinator, "generation", None)
    return found if isinstance(found, int) and found > 0 else None


def problems(producer: AIOKafkaProducer, consumer: AIOKafkaConsumer) -> list[str]:
    """What this module relies on that the installed aiokafka does not have, by name.

    `producer` must be transactional and not yet started; `consumer` a started member of
    a group, so that every attribute exists.
    """
    found = [
        *_missing("AIOKafkaProducer", producer, PRODUCER_ATTRIBUTES),
        *_changed("AIOKafkaProducer", producer, PRODUCER_METHODS),
        *_missing("AIOKafkaConsumer", consumer, CONSUMER_ATTRIBUTES),
        *_changed("AIOKafkaConsumer", consumer, CONSUMER_METHODS),
        *_missing("AIOKafkaConsumer._coordinator", consumer._coordinator, COORDINATOR_ATTRIBUTES),
    ]
    state = getattr(getattr(producer, "_txn_manager", None), "state", None)
    if state is not None:
        names = {member.name for member in type(state)}
        found += [
            f"aiokafka's TransactionState has no {name} (transaction_open looks for it)"
            for name in OPEN_STATES
            if name not in names
        ]
    return found


def _resolve(root: Any, path: str) -> Any:
    value = root
    for name in path.split("."):
        value = getattr(value, name)
    return value


def _missing(owner: str, root: Any, paths: tuple[str, ...]) -> list[str]:
    missing = []
    for path in paths:
        try:
            _resolve(root, path)
        except AttributeError:
            missing.append(f"{owner}.{path} is gone from aiokafka")
    return missing


def _changed(owner: str, root: Any, methods: Mapping[str, tuple[str, ...]]) -> list[str]:
    changed = []
    for path, expected in methods.items():
        try:
            method = _resolve(root, path)
        except AttributeError:
            changed.append(f"{owner}.{path}() is gone from aiokafka")
            continue
        parameters = tuple(inspect.signature(method).parameters)
        if parameters != expected:
            changed.append(f"{owner}.{path}() takes {parameters} now, not {expected}")
    return changed
