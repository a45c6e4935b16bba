"""Metric updates gathered per loop turn land exactly as one update per event would."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram

from ingress import metrics

BUCKETS = (0.001, 0.01, 0.1, 1.0)
values = st.lists(
    st.one_of(st.sampled_from(BUCKETS), st.floats(min_value=0, max_value=10)), max_size=50
)


def samples(histogram: Histogram) -> dict[tuple[str, str], float]:
    return {
        (s.name, s.labels.get("le", "")): s.value
        for metric in histogram.collect()
        for s in metric.samples
        if not s.name.endswith("_created")
    }


@given(observed=values)
def test_observe_all_counts_like_observe_one_by_one(observed: list[float]) -> None:
    one_by_one = Histogram("one", "h", buckets=BUCKETS, registry=CollectorRegistry())
    together = Histogram("one", "h", buckets=BUCKETS, registry=CollectorRegistry())
    for value in observed:
        one_by_one.observe(value)
    metrics.observe_all(together, observed)
    expected, found = samples(one_by_one), samples(together)
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert abs(found[key] - value) <= 1e-9 * max(1.0, abs(value))


async def test_a_turns_updates_are_applied_at_its_end() -> None:
    in_flight = 3
    tally = metrics.TurnTally(lambda: in_flight)
    answered = metrics.requests("tally-source", 200)
    sizes = metrics.body_bytes("tally-source")
    before = answered._value.get(), sizes._sum.get()
    tally.answered("tally-source", 200)
    tally.answered("tally-source", 200)
    tally.body("tally-source", 1000)
    tally.body("tally-source", 24)
    assert (answered._value.get(), sizes._sum.get()) == before  # not within the turn
    await asyncio.sleep(0)
    assert answered._value.get() == before[0] + 2
    assert sizes._sum.get() == before[1] + 1024
    assert metrics.IN_FLIGHT._value.get() == 3
    in_flight = 0
    tally.moved()
    await asyncio.sleep(0)
    assert metrics.IN_FLIGHT._value.get() == 0
