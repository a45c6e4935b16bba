"""The poller's Prometheus metrics, per source and feed. Labels take bounded values only."""

from __future__ import annotations

import contextlib
import time

from prometheus_client import Counter, Gauge

NAN = float("nan")  # not known yet

ENTITIES = Counter(
    "fleetwire_poll_entities_total",
    "Feed entities written to the raw topic (committed), by source and feed.",
    ["source", "feed"],
)
PAGES = Counter(
    "fleetwire_poll_pages_total",
    "GetFeed pages answered, by source, feed and whether they were full.",
    ["source", "feed", "full"],
)
ERRORS = Counter(
    "fleetwire_poll_errors_total",
    "Failed calls and writes, by source, feed ('' when not one feed's) and kind.",
    ["source", "feed", "kind"],
)
NEWEST_ENTITY = Gauge(
    "fleetwire_poll_newest_entity_timestamp_seconds",
    "When the newest entity polled so far happened (its dateTime), by source and feed.",
    ["source", "feed"],
)
NEWEST_ENTITY_AGE = Gauge(
    "fleetwire_poll_newest_entity_age_seconds",
    "Age of the newest entity polled so far, by source and feed.",
    ["source", "feed"],
)
LAST_SUCCESS = Gauge(
    "fleetwire_poll_last_success_timestamp_seconds",
    "When a GetFeed of the feed last succeeded and its page was committed (until then: "
    "when the poller started).",
    ["source", "feed"],
)
SINCE_SUCCESS = Gauge(
    "fleetwire_poll_since_last_success_seconds",
    "Time since a GetFeed of the feed last succeeded and its page was committed (or since "
    "the poller started).",
    ["source", "feed"],
)
SOURCE_UP = Gauge(
    "fleetwire_poll_source_up",
    "1 while the source is polled: logged in to MyGeotab and holding its transactional id.",
    ["source"],
)


class FeedMetrics:
    """The series of one feed of one source."""

    def __init__(self, source: str, feed: str) -> None:
        self.source = source
        self.feed = feed
        self._newest: float | None = None
        # A feed that never succeeds must look stalled too (FleetwirePollFeedStalled).
        self._success = time.time()
        LAST_SUCCESS.labels(source, feed).set(self._success)
        self.entities = ENTITIES.labels(source, feed)
        self._pages = {full: PAGES.labels(source, feed, full) for full in ("true", "false")}
        NEWEST_ENTITY_AGE.labels(source, feed).set_function(self._age)
        SINCE_SUCCESS.labels(source, feed).set_function(self._since)

    def page(self, full: bool) -> None:
        self._pages["true" if full else "false"].inc()

    def committed(self, entities: int, newest: float | None) -> None:
        now = time.time()
        self.entities.inc(entities)
        self._success = now
        LAST_SUCCESS.labels(self.source, self.feed).set(now)
        if newest is not None and (self._newest is None or newest > self._newest):
            self._newest = newest
            NEWEST_ENTITY.labels(self.source, self.feed).set(newest)

    def error(self, kind: str) -> None:
        ERRORS.labels(self.source, self.feed, kind).inc()

    def _age(self) -> float:
        return NAN if self._newest is None else max(0.0, time.time() - self._newest)

    def _since(self) -> float:
        return time.time() - self._success

    def forget(self) -> None:
        """Drop the feed's gauges: another poller polls it now, and says how it goes."""
        for gauge in (NEWEST_ENTITY, NEWEST_ENTITY_AGE, LAST_SUCCESS, SINCE_SUCCESS):
            with contextlib.suppress(KeyError):  # never set
                gauge.remove(self.source, self.feed)
