"""Latency distributions: percentiles of recorded samples, in one place for every phase."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (as HdrHistogram and wrk report it) of sorted values."""
    if not sorted_values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Distribution:
    """Summary of a set of durations, in milliseconds."""

    count: int
    p50: float
    p90: float
    p99: float
    p999: float
    max: float
    mean: float

    @classmethod
    def of(cls, values_ms: Sequence[float]) -> Distribution | None:
        if not values_ms:
            return None
        ordered = sorted(values_ms)
        p50, p90, p99, p999 = (percentile(ordered, q) for q in PERCENTILES)
        return cls(
            count=len(ordered),
            p50=p50,
            p90=p90,
            p99=p99,
            p999=p999,
            max=ordered[-1],
            mean=math.fsum(ordered) / len(ordered),
        )
