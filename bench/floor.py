"""The floor: what Kafka costs a processor that does no processing at all.

It drains raw topics as `fleetwire process` does (one consumer group, read_committed,
polls of up to 5,000 records) and writes one record per raw record, with the raw key and
headers and the raw value stretched by `--factor`, so that it writes as many bytes as the
processor wrote from the same records. Nothing is parsed, hashed or built per record
beyond appending it to a record batch.

- exactly-once: one transactional producer per raw partition (the processor's layout);
  each partition's writes and its offsets go into one transaction.
- at-least-once: one idempotent producer; a poll's offsets are committed through the
  group once its writes are acknowledged.

A record goes to the output partition numbered like its raw partition (modulo the count),
so no partitioner runs. The benchmark measures this process's own CPU time from /proc.

    python -m bench.floor --bootstrap HOST:PORT --group G --topics RAW,... --out TOPIC
                          --out-partitions N --mode exactly-once --factor F
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from typing import Any

import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from fleetwire import clients
from fleetwire.connection import KafkaConnection, KafkaSecurity
from fleetwire.kafka import durable_producer

log = logging.getLogger(__name__)

MAX_RECORDS_PER_POLL = 5000  # as the processor polls
POLL_TIMEOUT_MS = 500
LINGER_MS = 5  # as the processor's producers


def stretched(value: bytes, factor: float) -> bytes:
    """`value` repeated and cut to `factor` times its length (at least one byte kept)."""
    length = max(1, round(len(value) * factor)) if value else 0
    if length <= len(value):
        return value[:length]
    return (value * (length // len(value) + 1))[:length]


def padding_factor(processor_bytes: int, raw_value_bytes: int, raw_other_bytes: int) -> float:
    """How much to stretch raw values so that records with the raw keys and headers carry
    `processor_bytes` in all: what the processor wrote from the same raw records."""
    if raw_value_bytes <= 0:
        raise ValueError("no raw value bytes to stretch")
    return max(processor_bytes - raw_other_bytes, 1) / raw_value_bytes


class _Writes:
    """Record batches per output partition, handed to the producer whole."""

    def __init__(self, producer: AIOKafkaProducer, out: str, partitions: int) -> None:
        self._producer = producer
        self._out = out
        self._partitions = partitions

    async def write(self, polled: dict[TopicPartition, list[Any]], factor: float) -> None:
        futures = []
        for tp, messages in polled.items():
            target = tp.partition % self._partitions
            builder = self._producer.create_batch()
            for m in messages:
                value = stretched(m.value, factor)
                headers = list(m.headers)  # the batch builder takes a list only
                added = builder.append(timestamp=None, key=m.key, value=value, headers=headers)
                if added is None:  # full: send it, start the next one
                    futures.append(await self._submit(builder, target))
                    builder = self._producer.create_batch()
                    builder.append(timestamp=None, key=m.key, value=value, headers=headers)
            futures.append(await self._submit(builder, target))
        await asyncio.gather(*futures)

    async def _submit(self, builder: Any, partition: int) -> Any:
        builder.close()
        return await self._producer.send_batch(builder, self._out, partition=partition)


class Floor(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, connection: KafkaConnection, args: argparse.Namespace) -> None:
        self._connection = connection
        self._group = args.group
        self._out = args.out
        self._factor = args.factor
        self._transactional = args.mode == "exactly-once"
        self._consumer: AIOKafkaConsumer = clients.consumer(
            connection,
            group_id=args.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=MAX_RECORDS_PER_POLL,
        )
        self._topics: Sequence[str] = args.topics.split(",")
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self._shared: AIOKafkaProducer | None = None
        self._partitions: int = args.out_partitions

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        for tp in revoked:
            producer = self._producers.pop(tp, None)
            if producer is not None:
                await producer.stop()

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        if self._transactional:
            await asyncio.gather(*(self._producer_for(tp) for tp in assigned))

    async def _producer_for(self, tp: TopicPartition) -> AIOKafkaProducer:
        """The partition's transactional producer, as the processor names its id."""
        producer = self._producers.get(tp)
        if producer is None:
            producer = self._producers[tp] = durable_producer(
                self._connection,
                linger_ms=LINGER_MS,
                transactional_id=f"{self._group}.{tp.topic}.{tp.partition}",
            )
            await producer.start()
        return producer

    async def run(self, stop: asyncio.Event) -> None:
        await self._consumer.start()
        if not self._transactional:
            self._shared = durable_producer(self._connection, linger_ms=LINGER_MS)
            await self._shared.start()
        self._consumer.subscribe(list(self._topics), listener=self)
        try:
            while not stop.is_set():
                polled = await self._consumer.getmany(timeout_ms=POLL_TIMEOUT_MS)
                if polled:
                    await self._deliver(polled)
        finally:
            for producer in [*self._producers.values(), *filter(None, [self._shared])]:
                await producer.stop()
            await self._consumer.stop()

    async def _deliver(self, polled: dict[TopicPartition, list[Any]]) -> None:
        offsets = {tp: messages[-1].offset + 1 for tp, messages in polled.items()}
        if self._shared is not None:
            await _Writes(self._shared, self._out, self._partitions).write(polled, self._factor)
            await self._consumer.commit(offsets)
            return
        await asyncio.gather(
            *(self._transact(tp, messages, offsets[tp]) for tp, messages in polled.items())
        )

    async def _transact(self, tp: TopicPartition, messages: list[Any], offset: int) -> None:
        producer = await self._producer_for(tp)
        await producer.begin_transaction()
        await _Writes(producer, self._out, self._partitions).write({tp: messages}, self._factor)
        await producer.send_offsets_to_transaction({tp: offset}, self._group)
        await producer.commit_transaction()


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    connection = KafkaConnection(args.bootstrap, KafkaSecurity.from_env(os.environ))
    await Floor(connection, args).run(stop)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topics", required=True, help="comma-separated raw topics")
    parser.add_argument("--out", required=True, help="the topic written to")
    parser.add_argument("--out-partitions", type=int, required=True, help="its partition count")
    parser.add_argument("--mode", choices=("exactly-once", "at-least-once"), required=True)
    parser.add_argument("--factor", type=float, default=1.0, help="value length multiplier")
    logging.basicConfig(level=logging.WARNING)
    uvloop.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
