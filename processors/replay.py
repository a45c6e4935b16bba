"""`fleetwire replay`: send dead-lettered records back through processing.

A selected dead letter is written back to its provider's raw topic with its original key,
body and ingress headers, plus `fleetwire-replay-of: {dlq topic}[partition]@offset`; the
processors then handle it like any delivery (same key, same partition, same event ids).

Replaying twice must not double the output, whatever filters each run used. So every
replayed dead letter is also recorded in the replay ledger topic, keyed by its position,
in the same Kafka transaction as the raw record it produced: either both exist or
neither. A run skips what the ledger already holds. The ledger is read only after the
run's transactional producer is initialized, which fences any earlier run still going
and completes or aborts its open transaction, so the ledger read is complete.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from fleetwire import clients
from fleetwire.diagnosis import start_client
from fleetwire.errors import FleetwireError
from fleetwire.kafka import raw_producer
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from fleetwire.writing import internals
from processors.dead_letter import DeadLetter, Selection

PER_TRANSACTION = 500
PROGRESS_EVERY_S = 2.0
READ_TIMEOUT_MS = 500


@dataclass
class Summary:
    scanned: int = 0
    replayed: int = 0
    already: int = 0
    not_selected: int = 0

    def line(self, dry_run: bool, seconds: float) -> str:
        verb = "would replay" if dry_run else "replayed"
        return (
            f"{self.scanned} dead letters scanned in {seconds:.1f}s: {verb} {self.replayed}, "
            f"{self.already} already replayed before, {self.not_selected} not selected"
        )


async def replay(
    settings: Settings,
    providers: Sequence[str],
    selection: Selection,
    *,
    dry_run: bool,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    chosen = list(providers)
    topics = TopicNames(settings.topic_prefix)
    started = time.monotonic()
    summary = Summary()
    producer = None
    if not dry_run:
        # Raw topics are partitioned by raw_partitioner: a replayed delivery joins the
        # partition of its delivery id, as every write of the ingress does.
        producer = raw_producer(settings.kafka, transactional_id=f"{settings.topic_prefix}.replay")
        await start_client(producer, settings.kafka)  # fences a replay still running elsewhere
    try:
        done = await _ledger(settings, topics.replay_ledger())
        writer = None if producer is None else _Writer(producer, topics.replay_ledger())
        progress = _Progress(err, summary)
        for provider in chosen:
            print(f"replay: scanning {topics.dead_letter(provider)}", file=err, flush=True)
            async for letter in _read(settings, topics.dead_letter(provider)):
                summary.scanned += 1
                if not selection.matches(letter):
                    summary.not_selected += 1
                elif letter.ref in done:
                    summary.already += 1
                else:
                    summary.replayed += 1
                    if writer is None:
                        print(_describe(letter), file=out)
                    else:
                        await writer.add(letter, topics.raw(provider))
                progress.maybe(provider)
        if writer is not None:
            await writer.flush()
    except KafkaError as exc:
        print(f"replay: {summary.line(dry_run, time.monotonic() - started)}", file=out)
        raise FleetwireError(
            f"replay stopped: {type(exc).__name__}: {exc}. Dead letters replayed so far stay "
            "replayed; run it again to continue"
        ) from None
    finally:
        if producer is not None:
            await producer.stop()
    print(f"replay: {summary.line(dry_run, time.monotonic() - started)}", file=out)
    return 0


class _Writer:
    """Raw records and their ledger entries, committed together in transactions."""

    def __init__(self, producer: AIOKafkaProducer, ledger: str) -> None:
        self._producer = producer
        self._ledger = ledger
        self._pending: list[tuple[DeadLetter, str]] = []

    async def add(self, letter: DeadLetter, raw_topic: str) -> None:
        self._pending.append((letter, raw_topic))
        if len(self._pending) >= PER_TRANSACTION:
            await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        async with self._producer.transaction():
            futures = []
            for letter, raw_topic in self._pending:
                futures.append(
                    await self._producer.send(
                        raw_topic,
                        value=letter.value,
                        key=letter.key,
                        headers=letter.replay_headers(),
                    )
                )
                entry = orjson.dumps({"replayed_at": now, "to": raw_topic, "kind": letter.kind})
                futures.append(
                    await self._producer.send(self._ledger, value=entry, key=letter.ref.encode())
                )
            for future in futures:  # a failed write aborts the transaction (raised here)
                await future
        self._pending.clear()


async def _ledger(settings: Settings, topic: str) -> set[str]:
    """The positions of every dead letter replayed before."""
    return {
        record.key.decode() async for record in _records(settings, topic) if record.key is not None
    }


async def _read(settings: Settings, topic: str) -> AsyncIterator[DeadLetter]:
    async for record in _records(settings, topic):
        yield DeadLetter(
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            list(record.headers),
        )


async def _records(settings: Settings, topic: str) -> AsyncIterator[Any]:
    """Every committed record of `topic`, from the beginning to where it ended when asked."""
    consumer = clients.consumer(
        settings.kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await start_client(consumer, settings.kafka)
    try:
        partitions = await internals.partitions_of(consumer, topic)
        if not partitions:
            raise FleetwireError(
                f"topic {topic} does not exist; create the topics with `fleetwire topics`"
            )
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        start = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, start[tp])
        remaining = {tp for tp in tps if start[tp] < end[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=READ_TIMEOUT_MS)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < end[tp]:
                        yield message
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


class _Progress:
    def __init__(self, err: TextIO, summary: Summary) -> None:
        self._err = err
        self._summary = summary
        self._last = time.monotonic()

    def maybe(self, provider: str) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            s = self._summary
            print(
                f"replay: {provider}: {s.scanned} scanned, {s.replayed} selected so far",
                file=self._err,
                flush=True,
            )


def _describe(letter: DeadLetter) -> str:
    failed_at = letter.failed_at.isoformat() if letter.failed_at else "unknown time"
    return f"{letter.ref} {letter.kind} (failed {failed_at}): {letter.reason[:160]}"
