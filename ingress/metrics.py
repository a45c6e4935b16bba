"""The ingress's Prometheus metrics. Labels only take bounded values (known sources)."""

from __future__ import annotations

from functools import cache

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
