"""The raw-record writer: one durable producer per process, a deadline on every write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from fleetwire.errors import PublishError
from fleetwire.kafka import raw_producer, reachable

log = logging.getLogger(__name__)

RECONNECT_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class RawPublisher:
    """Writes raw records; connects in the background so the ingress can start first."""

    def __init__(self, bootstrap_servers: str, timeout_s: float, max_record_bytes: int) -> None:
        self._bootstrap = bootstrap_servers
        self._timeout = timeout_s
        self._max_record_bytes = max_record_bytes
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self, wait: bool = False) -> None:
        self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")
        if wait:
            await asyncio.shield(self._connecting)

    async def _connect(self) -> None:
        attempt = 0
        while True:
            producer = raw_producer(self._bootstrap, max_request_size=self._max_record_bytes)
            try:
                await producer.start()
            except Exception as exc:  # any start failure is retried
                await producer.stop()
                delay = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S) - 1)]
                log.warning(
                    "kafka %s not reachable (%s); retrying in %.1fs",
                    self._bootstrap,
                    type(exc).__name__,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self._producer = producer
            log.info("connected to kafka %s", self._bootstrap)
            return

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Return once Kafka acknowledged the record (acks=all); else raise PublishError."""
        producer = self._producer
        if producer is None:
            raise PublishError("not connected to kafka yet")
        try:
            async with asyncio.timeout(self._timeout):
                await producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
        except TimeoutError:
            raise PublishError(f"kafka did not acknowledge within {self._timeout}s") from None
        except Exception as exc:
            raise PublishError(f"kafka write failed: {type(exc).__name__}: {exc}") from exc

    async def ready(self) -> bool:
        producer = self._producer
        return producer is not None and await reachable(producer.client)

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self._producer is not None:
            # stop() flushes what is still queued before closing.
            await self._producer.stop()
            self._producer = None
