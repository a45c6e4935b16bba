"""The processors' Prometheus metrics. Labels take bounded values only."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
END_TO_END_SECONDS = Histogram(
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
