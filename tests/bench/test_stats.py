"""Percentiles and latency summaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.stats import Distribution, percentile

values = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200)
quantiles = st.floats(min_value=0, max_value=100)


@given(values, quantiles)
def test_a_percentile_is_the_nearest_rank(data: list[float], q: float) -> None:
    ordered = sorted(data)
    value = percentile(ordered, q)
    assert value in ordered
    # at least q% of the values are at or below it, and fewer than q% strictly below
    assert sum(v <= value for v in ordered) >= q / 100 * len(ordered)
    assert sum(v < value for v in ordered) < max(1, q / 100 * len(ordered))


@given(values, quantiles, quantiles)
def test_percentiles_rise_with_the_quantile(data: list[float], a: float, b: float) -> None:
    ordered = sorted(data)
    low, high = sorted((a, b))
    assert percentile(ordered, low) <= percentile(ordered, high)


def test_percentile_needs_values_and_a_quantile_in_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)


@given(values)
def test_a_distribution_is_ordered(data: list[float]) -> None:
    summary = Distribution.of(data)
    assert summary is not None
    assert summary.count == len(data)
    assert min(data) <= summary.p50 <= summary.p90 <= summary.p99 <= summary.p999
    assert summary.p999 <= summary.max == max(data)
    assert min(data) <= summary.mean <= max(data) or summary.mean == pytest.approx(max(data))


def test_no_values_no_distribution() -> None:
    assert Distribution.of([]) is None
