"""Polling one pull source: its feeds, one page at a time, each page committed with its
position.

A shell around the pure parts (positions.Cursor, records.raw_records, devices.DeviceVins):
- Kafka first: take over the source's transactional id (fencing an older poller), then
  restore every feed's version from the committed positions.
- Then the feeds in turn, the one due first first: a full page makes its feed due again
  at once (at most one GetFeed a second per type, Geotab's limit), an empty one after
  the poll interval.
- A failure of MyGeotab (refused login, unreachable, 5xx) is logged once, makes /readyz
  answer 503, and is retried with a growing backoff; the positions in memory are the
  committed ones, so nothing is lost or repeated. A failed transaction starts again from
  Kafka. A fenced poller stops polling the source.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import aiohttp
from aiokafka.errors import KafkaError

from fleetwire.errors import FleetwireError, KafkaUnavailable
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from ingress.timestamps import UtcMillis
from poll import metrics
from poll.devices import DeviceVins
from poll.positions import Cursor, encode_position, position_key, restore
from poll.records import DEVICE, PageContext, newest_time, raw_records
from poll.rpc import GeotabError, MyGeotabClient, OverLimit
from poll.sources import PullSource
from poll.transactions import Fenced, SourceTransactions, TransactionFailed, transactional_id

log = logging.getLogger(__name__)

FEED_MIN_INTERVAL_S = 1.0  # Geotab: one GetFeed a second per entity type
# A feed with nothing new still commits its position this often: a poller that another
# one fenced learns it on its next commit, not never.
POSITION_HEARTBEAT_S = 60.0
FIRST_BACKOFF_S = 1.0


@dataclass
class Backoff:
    maximum: float
    current: float = 0.0

    def next(self) -> float:
        self.current = min(self.maximum, max(FIRST_BACKOFF_S, self.current * 2))
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class SourcePoller:
    def __init__(self, source: PullSource, settings: Settings, http: aiohttp.ClientSession) -> None:
        self.source = source
        self._settings = settings
        self._client = MyGeotabClient(source, http)
        topics = TopicNames(settings.topic_prefix)
        self._transactions = SourceTransactions(
            settings.kafka,
            transactional_id(settings.topic_prefix, source.name),
            topics.raw(source.provider),
            topics.poll_positions(),
        )
        self._owned = False  # holding the transactional id, cursors restored from Kafka
        self._vins = DeviceVins()
        self._cursors: dict[str, Cursor] = {}
        self._due: dict[str, float] = {}
        self._committed_at: dict[str, float] = {}
        self._metrics = {feed: metrics.FeedMetrics(source.name, feed) for feed in source.feeds}
        self._up = metrics.SOURCE_UP.labels(source.name)
        self._stamp = UtcMillis()
        self._trouble: str | None = None  # the kind of failure last logged
        self.problem: str | None = "starting"  # None: polling; otherwise why not (/readyz)
        self.fenced = False
        self._feed = ""  # the feed being polled, if any

    @property
    def _extra(self) -> dict[str, str]:
        return {"source": self.source.name, "provider": self.source.provider}

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(self._settings.poll_max_backoff_s)
        try:
            while not stop.is_set():
                try:
                    await self._take_over()
                    if not self._client.authenticated:
                        await self._client.authenticate()
                        self._vins.learn(await self._client.get_devices())
                    self._healthy()
                    backoff.reset()
                    await self._poll(stop)
                except Fenced as exc:
                    self._fenced(exc)
                    return
                except (FleetwireError, KafkaError, OSError) as exc:
                    if isinstance(exc, KafkaError):
                        self._owned = False  # start again from what Kafka committed
                    self._failed(exc)
                    await _wait(stop, backoff.next())
                except Exception as exc:  # a defect: say so, but keep the source alive
                    log.exception("source %s: unexpected failure", self.source.name)
                    self._owned = False
                    self._failed(exc)
                    await _wait(stop, backoff.next())
        finally:
            self._up.set(0)
            await self._transactions.close()

    async def _take_over(self) -> None:
        if self._owned:
            return
        await self._transactions.start()
        versions = restore(await self._transactions.committed_positions(), self.source.name)
        from_date = _iso(self.source)
        self._cursors = {
            feed: Cursor(feed, versions.get(feed), from_date) for feed in self.source.feeds
        }
        self._due = dict.fromkeys(self.source.feeds, 0.0)
        self._owned = True
        log.info(
            "source %s: polling %s from %d committed positions",
            self.source.name,
            ", ".join(self.source.feeds),
            len(versions),
            extra=self._extra,
        )

    async def _poll(self, stop: asyncio.Event) -> None:
        order = {feed: i for i, feed in enumerate(sorted(self.source.feeds, key=_device_first))}
        while not stop.is_set():
            feed = min(self._due, key=lambda f: (self._due[f], order[f]))
            if await _wait(stop, self._due[feed] - time.monotonic()):
                return
            await self._poll_feed(feed)
            self._feed = ""
            self._healthy()

    async def _poll_feed(self, feed: str) -> None:
        self._feed = feed  # a failure that leaves this call is this feed's
        cursor = self._cursors[feed]
        feed_metrics = self._metrics[feed]
        limit = self._settings.poll_results_limit
        started = time.monotonic()
        from_version, from_date = cursor.request()
        try:
            page = await self._client.get_feed(feed, from_version, limit, from_date)
        except OverLimit as exc:
            feed_metrics.error(exc.kind)
            self._due[feed] = time.monotonic() + max(exc.retry_after_s, FEED_MIN_INTERVAL_S)
            log.info("source %s: %s", self.source.name, exc, extra=self._extra)
            return
        full = len(page.entities) >= limit
        feed_metrics.page(full)
        await self._learn_devices(feed, page.entities)
        stale = time.monotonic() - self._committed_at.get(feed, 0.0) >= POSITION_HEARTBEAT_S
        if page.entities or cursor.moved(page.to_version) or stale:
            await self._commit(feed, cursor, page.entities, page.to_version)
        else:
            feed_metrics.committed(0, None)
        wait = (
            FEED_MIN_INTERVAL_S
            if full
            else max(FEED_MIN_INTERVAL_S, self._settings.poll_interval_s)
        )
        self._due[feed] = started + wait

    async def _learn_devices(self, feed: str, entities: list[dict[str, Any]]) -> None:
        if feed == DEVICE:
            self._vins.learn(entities)
            return
        for device_id in self._vins.to_look_up(entities):
            self._vins.learn(await self._client.get_devices(device_id))
            if device_id not in self._vins:
                self._vins.looked_up(device_id)

    async def _commit(
        self, feed: str, cursor: Cursor, entities: list[dict[str, Any]], to_version: str
    ) -> None:
        received_at = self._stamp.format(time.time_ns())
        page = PageContext(
            self.source.name, self.source.provider, feed, received_at, uuid.uuid4().hex.encode()
        )
        records = raw_records(page, entities, self._vins)
        position = encode_position(to_version, received_at.decode())
        try:
            await self._transactions.commit(records, position_key(self.source.name, feed), position)
        except TransactionFailed:
            self._owned = False  # start again from what Kafka committed
            raise
        cursor.committed(to_version)
        self._committed_at[feed] = time.monotonic()
        self._metrics[feed].committed(len(records), newest_time(feed, entities))

    def _healthy(self) -> None:
        if self._trouble is not None:
            log.info("source %s: polling again", self.source.name, extra=self._extra)
        self._trouble = None
        self.problem = None
        self._up.set(1)

    def _failed(self, exc: BaseException) -> None:
        kind = exc.kind if isinstance(exc, GeotabError) else _kind(exc)
        self.problem = f"source {self.source.name}: {exc}"
        self._up.set(0)
        if kind != self._trouble:  # one line per kind of trouble, not one per retry
            log.warning(
                "source %s: %s; retrying with backoff", self.source.name, exc, extra=self._extra
            )
        else:
            log.debug("source %s: still failing: %s", self.source.name, exc, extra=self._extra)
        self._trouble = kind
        metrics.ERRORS.labels(self.source.name, self._feed, kind).inc()
        self._feed = ""

    def _fenced(self, exc: Fenced) -> None:
        self.fenced = True
        self.problem = f"source {self.source.name}: another poller took it over"
        log.warning(
            "source %s: %s; this poller stops polling it", self.source.name, exc, extra=self._extra
        )
        metrics.ERRORS.labels(self.source.name, "", "fenced").inc()
        for feed_metrics in self._metrics.values():
            feed_metrics.forget()


def _kind(exc: BaseException) -> str:
    if isinstance(exc, TransactionFailed | KafkaUnavailable | KafkaError):
        return "kafka"
    return "network" if isinstance(exc, OSError) else "other"


def _device_first(feed: str) -> tuple[bool, str]:
    return (feed != DEVICE, feed)


def _iso(source: PullSource) -> str | None:
    if source.from_date is None:
        return None
    moment = source.from_date.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; True if `stop` was set meanwhile."""
    if seconds <= 0:
        return stop.is_set()
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
