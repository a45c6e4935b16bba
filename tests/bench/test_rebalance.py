"""The rebalance pause: the longest stall of the committed count around a second join."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.rebalance import longest_stall, pause_figures


def progress(*advances: float, step: float = 0.1, end: float = 10.0) -> list[tuple[float, int]]:
    """Samples every `step` seconds; the count goes up by 100 at each of `advances`."""
    samples = []
    count = 0
    t = 0.0
    pending = sorted(advances)
    while t <= end + 1e-9:
        while pending and pending[0] <= t + 1e-9:
            pending.pop(0)
            count += 100
        samples.append((round(t, 3), count))
        t += step
    return samples


def test_the_longest_gap_after_the_join_is_the_pause() -> None:
    samples = progress(1.0, 1.5, 2.0, 2.5, 3.0, 6.0, 6.5, 7.0)
    assert longest_stall(samples, since=3.2, until=10.0) == pytest.approx(3.0)
    assert longest_stall(samples, since=0.0, until=3.0) == pytest.approx(0.5)


def test_no_second_advance_is_no_stall() -> None:
    assert longest_stall(progress(1.0), since=0.0, until=10.0) is None


@given(st.lists(st.floats(min_value=0.1, max_value=9.9), min_size=2, max_size=30, unique=True))
def test_the_stall_never_exceeds_the_span_of_the_advances(advances: list[float]) -> None:
    samples = progress(*advances)
    found = longest_stall(samples, since=0.0, until=10.0)
    times = [t for (_, before), (t, n) in pairwise(samples) if n > before]
    if len(times) < 2:
        assert found is None
    else:
        assert found is not None
        assert 0 < found <= times[-1] - times[0] + 1e-9


def test_the_figures_give_the_pause_beside_the_usual_gap_and_the_rates() -> None:
    samples = progress(1.0, 1.5, 2.0, 2.5, 3.0, 6.0, 6.5, 7.0)
    found = pause_figures(samples, joined=3.2, expect=800)
    assert found["pause_s"] == pytest.approx(3.0)
    assert found["usual_gap_s"] == pytest.approx(0.5)
    assert found["complete"]
    assert found["rate_alone"] == pytest.approx(200.0)


def test_a_drain_that_ended_before_the_join_says_so() -> None:
    found = pause_figures(progress(1.0, 2.0), joined=None, expect=200)
    assert found["pause_s"] is None
    assert "ended before the join" in found["note"]
    after = pause_figures(progress(1.0, 2.0, end=3.0), joined=2.5, expect=200)
    assert after["pause_s"] is None
    assert "more records" in after["note"]
