"""The processors' Prometheus metrics. Labels take bounded values only."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class BatchHistogram(Collector):
    """A histogram fed a batch of observations at once.

    `Histogram.observe` takes a lock and walks the buckets in Python for every value,
    about a microsecond each: one per processed record. Here a value costs one `bisect`,
    and the exposition is the same (`_bucket`, `_count`, `_sum`).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: Sequence[float],
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._bounds = sorted(buckets)
        self._counts = [0] * (len(self._bounds) + 1)  # the last one is +Inf's own
        self._sum = 0.0
        if registry is not None:
            registry.register(self)

    def observe_all(self, values: Iterable[float]) -> None:
        bounds, counts = self._bounds, self._counts
        total = 0.0
        for value in values:
            counts[bisect_left(bounds, value)] += 1  # `le`: a value on a bound is in it
            total += value
        self._sum += total

    def collect(self) -> Iterator[Metric]:
        cumulative = 0
        buckets = []
        for bound, count in zip([*self._bounds, float("inf")], self._counts, strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))  # type: ignore[no-untyped-call]
        yield HistogramMetricFamily(
            self._name, self._documentation, buckets=buckets, sum_value=self._sum
        )


CONSUMED = Counter(
    "fleetwire_processor_records_consumed_total",
    "Raw records read from the raw topics, by provider.",
    ["provider"],
)
PRODUCED = Counter(
    "fleetwire_processor_events_produced_total",
    "Canonical events written and acknowledged, by canonical type.",
    ["type"],
)
DEAD_LETTERED = Counter(
    "fleetwire_processor_dead_letters_total",
    "Raw records sent to the dead-letter topic, by provider and error kind.",
    ["provider", "kind"],
)
PINGS = Counter(
    "fleetwire_processor_pings_total",
    "Provider test deliveries and heartbeats read and passed over, by provider.",
    ["provider"],
)
DUPLICATES = Counter(
    "fleetwire_processor_duplicates_suppressed_total",
    "Repeated deliveries of the same delivery id suppressed, by provider.",
    ["provider"],
)
BATCH_SECONDS = Histogram(
    "fleetwire_processor_batch_seconds",
    "Time to process one consumed batch: normalize, write, acknowledge, commit.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
END_TO_END_SECONDS = BatchHistogram(
    "fleetwire_processor_end_to_end_seconds",
    "Time from fleetwire-received-at (ingress) to the canonical write being acknowledged.",
    # Up to an hour: after an outage, a backlog is worked off minutes after its receipt.
    buckets=(
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1.0,
        2.5,
        5.0,
        10.0,
        30.0,
        60.0,
        300.0,
        900.0,
        3600.0,
    ),
)
LAG = Gauge(
    "fleetwire_processor_consumer_lag_records",
    "Records in the raw topic partition not yet processed, as of the last poll.",
    ["topic", "partition"],
)
