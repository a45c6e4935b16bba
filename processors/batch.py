"""One partition's share of a poll, turned into what must be written and committed together.

Planning is pure apart from reading the de-duplication window: records in, the output
records, the offset to commit and the bookkeeping to apply once the batch is committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition

from fleetwire import envelope
from fleetwire.envelope import RawRecord
from processors.dedup import DedupWindow, DeliveryKey
from processors.output import OutRecord, Transformer


@dataclass
class Batch:
    tp: TopicPartition
    provider: str
    next_offset: int  # what to commit: the offset after the last record of the batch
    consumed: int
    outputs: list[OutRecord] = field(default_factory=list)
    duplicates: int = 0
    delivered: list[DeliveryKey] = field(default_factory=list)  # remember once committed
    received_at: list[float] = field(default_factory=list)  # of records that became canonical


def plan(
    transformer: Transformer,
    window: DedupWindow,
    provider: str,
    tp: TopicPartition,
    messages: Sequence[Any],
    *,
    position: int | None = None,
) -> Batch:
    """Transform `messages` (consumed records of `tp`, in offset order) into one batch.

    `position` is the consumer's position after them, if known: it is past the transaction
    markers that follow the last record, so committing it leaves no lag of one behind each
    transaction written to the raw topic (replays write them).
    """
    next_offset = max(messages[-1].offset + 1, position or 0)
    batch = Batch(tp, provider, next_offset=next_offset, consumed=len(messages))
    in_batch: set[DeliveryKey] = set()
    received = _EpochSeconds()
    for message in messages:  # aiokafka's ConsumerRecord: a `Consumed` as it is
        raw = RawRecord.from_kafka(provider, message.key, message.value, message.headers)
        key = delivery_key(tp.topic, message.key, raw.headers)
        if key is not None and (key in window or key in in_batch):
            batch.duplicates += 1
            batch.delivered.append(key)  # seen again: keep it in the window longer
            continue
        outputs = transformer.transform(provider, message, raw, tp)
        batch.outputs.extend(outputs)
        if any(out.event_type is None for out in outputs):
            # Dead-lettered, wholly or an item of it: a retry or a replay must be processed
            # again, so the delivery is not remembered.
            continue
        if key is not None:
            in_batch.add(key)
            batch.delivered.append(key)
        if outputs:
            at = received.of(raw.received_at)
            if at is not None:
                batch.received_at.append(at)
    return batch


def delivery_key(topic: str, key: bytes | None, headers: Mapping[str, str]) -> DeliveryKey | None:
    """What identifies a delivery across retries: its raw topic, source and delivery id.

    A replayed item of a batch (`fleetwire-item`) is a delivery of its own: replaying two
    bad items of one batch must not make the second look like a repeat of the first.
    """
    if not key:
        return None  # nothing identifies the delivery; never suppress it
    item = headers.get(envelope.ITEM)
    if item is not None:
        key = key + b"\x1f" + item.encode()
    return (topic, headers.get(envelope.SOURCE, ""), key)


class _EpochSeconds:
    """`fleetwire-received-at` as epoch seconds; None when it is missing ("") or unreadable.

    The ingress writes milliseconds, so the records of a poll share few values, and
    consecutive ones mostly the same: the last one is remembered.
    """

    __slots__ = ("_seconds", "_text")

    def __init__(self) -> None:
        self._text: str | None = None
        self._seconds: float | None = None

    def of(self, text: str) -> float | None:
        if text != self._text:
            self._text = text
            try:
                self._seconds = datetime.fromisoformat(text).timestamp()
            except ValueError:
                self._seconds = None
        return self._seconds
