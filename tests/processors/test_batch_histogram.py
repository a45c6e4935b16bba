"""The batch histogram exposes what prometheus_client's Histogram would, value for value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from processors.metrics import BatchHistogram

BUCKETS = (0.005, 0.1, 1.0, 2.5, 60.0)


def exposition(registry: CollectorRegistry) -> list[str]:
    """The sample lines, without `_created` (which only the stock Histogram has)."""
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if not line.startswith("#") and "_created" not in line]


@given(
    st.lists(
        st.one_of(
            st.sampled_from([0.0, *BUCKETS]),  # on a bound: `le` counts it in that bucket
            st.floats(min_value=0, max_value=1e6, allow_nan=False),
        ),
        max_size=50,
    )
)
def test_same_exposition_as_histogram(values: list[float]) -> None:
    stock, batched = CollectorRegistry(), CollectorRegistry()
    histogram = Histogram("e2e_seconds", "doc", buckets=BUCKETS, registry=stock)
    for value in values:
        histogram.observe(value)
    BatchHistogram("e2e_seconds", "doc", buckets=BUCKETS, registry=batched).observe_all(values)
    assert exposition(batched) == exposition(stock)


def test_batches_add_up() -> None:
    registry = CollectorRegistry()
    histogram = BatchHistogram("e2e_seconds", "doc", buckets=BUCKETS, registry=registry)
    histogram.observe_all([0.001, 3.0])
    histogram.observe_all([])
    histogram.observe_all([100.0])
    assert registry.get_sample_value("e2e_seconds_count") == 3
    assert registry.get_sample_value("e2e_seconds_bucket", {"le": "0.005"}) == 1
    assert registry.get_sample_value("e2e_seconds_bucket", {"le": "60.0"}) == 2
    assert registry.get_sample_value("e2e_seconds_sum") == 103.001
