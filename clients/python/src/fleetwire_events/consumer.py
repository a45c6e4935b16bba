"""An async consumer of canonical topics (the `kafka` extra: aiokafka).

It reads committed records only, hands each event to your handler, and commits a record's
offset only after the handler returned: a handler that raises stops the consumer, and the
event is delivered again when it restarts. Events whose id the `SeenStore` already holds
are skipped (a provider's retry, a reprocessed batch), as are events whose type no glob
matches. Records that are not canonical events are logged and skipped.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from fleetwire_events.catalog import DOMAINS, TYPES
from fleetwire_events.decoding import DecodeError, Event, decode
from fleetwire_events.dedup import MemorySeenStore, SeenStore
from fleetwire_events.security import Security

log = logging.getLogger(__name__)

Handler = Callable[[Event[Any]], Awaitable[None]]
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_PREFIX = "fleetwire"
POLL_TIMEOUT_MS = 500
MAX_RECORDS_PER_POLL = 500


def topic(domain: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}.canonical.{domain}"


def domains_for(types: Iterable[str]) -> tuple[str, ...]:
    """The domains whose topics can carry types matching these globs: all of them when a
    glob matches no type known today (it may name a type added later)."""
    globs = list(types)
    found: set[str] = set()
    for glob in globs:
        matched = {t.domain for name, t in TYPES.items() if fnmatch.fnmatchcase(name, glob)}
        if not matched:
            return DOMAINS
        found |= matched
    return tuple(sorted(found))


class Consumer:
    """Reads the canonical topics of `domains` (or of the domains `types` can be in).

    `types` are globs over `type` (`vehicle.trip.*`); with none, every type is handled.
    Connection settings not given are read from the environment like fleetwire's own
    processes do: `KAFKA_BOOTSTRAP_SERVERS`, `FLEETWIRE_TOPIC_PREFIX` and the `KAFKA_*`
    security variables. `options` go to `AIOKafkaConsumer` as they are.
    """

    def __init__(
        self,
        group_id: str,
        *,
        domains: Iterable[str] = (),
        types: Iterable[str] = (),
        prefix: str | None = None,
        bootstrap_servers: str | None = None,
        security: Security | None = None,
        seen: SeenStore | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        env = os.environ if env is None else env
        self._types = tuple(types)
        chosen = tuple(domains) or (domains_for(self._types) if self._types else DOMAINS)
        prefix = prefix or env.get("FLEETWIRE_TOPIC_PREFIX") or DEFAULT_PREFIX
        self.topics = tuple(topic(d, prefix) for d in chosen)
        self.seen: SeenStore = MemorySeenStore() if seen is None else seen
        security = Security.from_env(env) if security is None else security
        self.bootstrap_servers = (
            bootstrap_servers or env.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
        )
        self.group_id = group_id
        self._options: dict[str, Any] = {
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": MAX_RECORDS_PER_POLL,
            **security.aiokafka_options(),
            **options,
            # Never the events of aborted transactions, which the processors write
            # again when they retry a batch.
            "isolation_level": "read_committed",
        }

    def wanted(self, event_type: str) -> bool:
        return not self._types or any(fnmatch.fnmatchcase(event_type, g) for g in self._types)

    async def run(self, handler: Handler, stop: asyncio.Event | None = None) -> None:
        """Handle events until `stop` is set (or the handler raises, which is re-raised
        after the offsets of the events handled before it are committed)."""
        stop = asyncio.Event() if stop is None else stop
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            **self._options,
        )
        await consumer.start()
        try:
            while not stop.is_set():
                polled = await consumer.getmany(timeout_ms=POLL_TIMEOUT_MS)
                for tp, records in polled.items():
                    await self._partition(consumer, tp, records, handler)
        finally:
            await consumer.stop()

    async def _partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[Any], handler: Handler
    ) -> None:
        done: int | None = None
        try:
            for record in records:
                await self._one(record, handler)
                done = record.offset + 1
        finally:
            if done is not None:
                await consumer.commit({tp: done})

    async def _one(self, record: Any, handler: Handler) -> None:
        try:
            event = decode(record.value or b"")
        except DecodeError as exc:
            log.warning("skipped %s[%d]@%d: %s", record.topic, record.partition, record.offset, exc)
            return
        if not self.wanted(event.type) or await self.seen.seen(event.id):
            return
        await handler(event)
        await self.seen.remember(event.id)
