"""The ingress's Prometheus metrics. Labels only take bounded values (known sources)."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

UNKNOWN_SOURCE = "_unknown"

REQUESTS = Counter(
    "fleetwire_ingress_requests_total",
    "Webhook requests answered, by source and HTTP status.",
    ["source", "status"],
)
AUTH_FAILURES = Counter(
    "fleetwire_ingress_auth_failures_total",
    "Webhook requests that failed authentication, by source and reason.",
    ["source", "reason"],
)
PUBLISH_SECONDS = Histogram(
    "fleetwire_ingress_publish_seconds",
    "Time from handing a raw record to Kafka until it was acknowledged (acks=all).",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
IN_FLIGHT = Gauge(
    "fleetwire_ingress_in_flight_requests",
    "Webhook requests currently being handled.",
    multiprocess_mode="livesum",
)
WRITTEN_AFTER_REFUSAL = Counter(
    "fleetwire_ingress_written_after_refusal_total",
    "Raw records Kafka acknowledged after their request had given up waiting (answered 503"
    " at the publish timeout): the provider's retry of such a delivery is a duplicate that"
    " the processors suppress.",
    ["provider"],
)
BODY_BYTES = Histogram(
    "fleetwire_ingress_body_bytes",
    "Size of accepted-for-verification webhook bodies.",
    ["source"],
    buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304),
)


# `labels()` takes a lock and builds a key on every call; the children of a source never
# change, so each is looked up once per process. The label values are bounded (known
# sources, a handful of statuses and outcomes), and so are these caches.


@cache
def requests(source: str, status: int) -> Counter:
    return REQUESTS.labels(source, str(status))


@cache
def body_bytes(source: str) -> Histogram:
    return BODY_BYTES.labels(source)


@cache
def publish_seconds(outcome: str) -> Histogram:
    return PUBLISH_SECONDS.labels(outcome)


class TurnTally:
    """The metric updates of one turn of the event loop, applied together at its end.

    Each update of a prometheus_client metric takes a lock, and a histogram's observe
    walks its buckets: five updates per webhook cost about a tenth of the ingress's CPU
    per request. The requests of one turn are counted here in plain dicts and lists, and
    each metric child is updated once per turn (a histogram once per bucket hit). The
    in-flight gauge is set to the handler's own count at the end of every turn in which
    it moved, so scrapes see it as of the last turn.
    """

    def __init__(self, in_flight: Callable[[], int]) -> None:
        self._in_flight = in_flight
        self._answers: dict[tuple[str, int], int] = {}
        self._bodies: dict[str, list[float]] = {}
        self._publishes: dict[str, list[float]] = {}
        self._scheduled = False

    def answered(self, source: str, status: int) -> None:
        key = (source, status)
        self._answers[key] = self._answers.get(key, 0) + 1
        self._schedule()

    def body(self, source: str, size: int) -> None:
        self._bodies.setdefault(source, []).append(size)
        self._schedule()

    def published(self, outcome: str, seconds: float) -> None:
        self._publishes.setdefault(outcome, []).append(seconds)
        self._schedule()

    def moved(self) -> None:
        """The in-flight count changed."""
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.apply)

    def apply(self) -> None:
        self._scheduled = False
        answers, self._answers = self._answers, {}
        for (source, status), count in answers.items():
            requests(source, status).inc(count)
        bodies, self._bodies = self._bodies, {}
        for source, sizes in bodies.items():
            observe_all(body_bytes(source), sizes)
        publishes, self._publishes = self._publishes, {}
        for outcome, seconds in publishes.items():
            observe_all(publish_seconds(outcome), seconds)
        IN_FLIGHT.set(self._in_flight())


def observe_all(histogram: Histogram, values: Sequence[float]) -> None:
    """`observe` for each value, with one update per bucket hit and one of the sum.

    prometheus_client has no bulk observe; this uses the child's bucket values the way
    its own `observe` does (a value counts in the first bucket whose bound it does not
    exceed; the last bound is +Inf).
    """
    child: Any = histogram
    bounds = child._upper_bounds
    hits = [0] * len(bounds)
    for value in values:
        hits[bisect_left(bounds, value)] += 1
    for index, count in enumerate(hits):
        if count:
            child._buckets[index].inc(count)
    child._sum.inc(sum(values))
