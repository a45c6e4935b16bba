"""The drain's pure parts for several processors: the shared window and the pairing of
each round's processors with the single processor of the same round."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.__main__ import process_counts
from bench.drain import Samples, median_round, scaled_key, scaling, sharing
from bench.members import Member

START = 1_000.0  # the wall clock when the first member started


def steady(rate: float, cpu_per_s: float, until: float, step: float = 0.5) -> Samples:
    """Samples every `step` s: commits from 1 s on at `rate`/s, CPU at `cpu_per_s`."""
    samples = []
    t = 0.0
    while t <= until + 1e-9:
        samples.append((t, int(max(0.0, t - 1.0) * rate), t * cpu_per_s))
        t += step
    return samples


def round_of(eps: float, cpu_us: float, readable: int, **extra: Any) -> dict[str, Any]:
    return {
        "events_per_s": eps,
        "processor_cpu_us_per_event": cpu_us,
        "canonical_readable": readable,
        **extra,
    }


def test_the_shared_window_starts_at_the_last_members_assignment() -> None:
    samples = steady(10_000.0, 1.5, until=11.0)
    group = [Member(27, 2, START + 3.9), Member(27, 1, START + 4.0)]
    found = sharing(samples, 100_000, group, START)
    assert found["since_s"] == pytest.approx(4.0)
    assert found["events_per_s"] == pytest.approx(10_000.0)
    assert found["processor_cpu_us_per_event"] == pytest.approx(150.0)


def test_members_that_never_shared_have_no_shared_rate() -> None:
    samples = steady(10_000.0, 1.0, until=11.0)
    found = sharing(samples, 100_000, [Member(54, 1, START + 1.0), Member(0, 0, None)], START)
    assert found["since_s"] is None
    assert found["events_per_s"] == 0.0
    late = sharing(samples, 100_000, [Member(27, 2, START + 20.0), Member(27, 1, START)], START)
    assert late["events_per_s"] == 0.0


def test_each_round_of_two_is_paired_with_the_one_of_the_same_round() -> None:
    two = [
        round_of(30_000.0, 50.0, 1140, sharing={"events_per_s": 32_000.0, **cpu(48.0)}),
        round_of(24_000.0, 45.0, 1141, sharing={"events_per_s": 26_000.0, **cpu(44.0)}),
    ]
    one = [round_of(20_000.0, 40.0, 1140), round_of(16_000.0, 45.0, 1140)]
    assert scaling(two, one) == [
        {
            "records_per_s": 1.5,
            "cpu_per_record": 1.25,
            "records_per_s_sharing": 1.6,
            "cpu_per_record_sharing": 1.2,
            "canonical_difference": 0,
        },
        {
            "records_per_s": 1.5,
            "cpu_per_record": 1.0,
            "records_per_s_sharing": 1.625,
            "cpu_per_record_sharing": 0.978,
            "canonical_difference": 1,
        },
    ]


def cpu(us: float) -> dict[str, float]:
    return {"processor_cpu_us_per_event": us}


def test_a_round_that_never_shared_has_no_shared_ratio() -> None:
    two = [round_of(15_000.0, 50.0, 100, sharing={"events_per_s": 0.0})]
    found = scaling(two, [round_of(15_000.0, 50.0, 100)])
    assert found[0]["records_per_s"] == 1.0
    assert found[0]["records_per_s_sharing"] is None


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5))
def test_the_difference_is_two_minus_one_per_round(counts: list[int]) -> None:
    two = [round_of(2.0, 1.0, n) for n in counts]
    one = [round_of(1.0, 1.0, 1000) for _ in counts]
    assert [p["canonical_difference"] for p in scaling(two, one)] == [n - 1000 for n in counts]


def test_the_median_round_of_several_processors_keeps_each_members_partitions() -> None:
    members = [{"partitions": 27, "assignments": 2}, {"partitions": 27, "assignments": 1}]
    rounds = [
        round_of(30_000.0, 50.0, 1, processes=2, members=members, sharing={"events_per_s": 1.0}),
        round_of(20_000.0, 55.0, 1, processes=2, members=members, sharing={"events_per_s": 2.0}),
    ]
    found = median_round(rounds)
    assert [r["members"] for r in found["rounds"]] == [members, members]
    assert [r["events_per_s_sharing"] for r in found["rounds"]] == [1.0, 2.0]
    single = median_round([round_of(1.0, 1.0, 1, processes=1)])
    assert "members" not in single["rounds"][0]


def test_the_figures_of_two_processors_have_their_own_key() -> None:
    assert scaled_key(2) == "drain_exactly_once_2_processes"


@pytest.mark.parametrize(
    ("given", "expected"), [("1,2", (1, 2)), ("2", (1, 2)), ("1", (1,)), ("3, 2,2", (1, 2, 3))]
)
def test_the_single_processor_is_always_measured(given: str, expected: tuple[int, ...]) -> None:
    assert process_counts(given) == expected


@pytest.mark.parametrize("given", ["", "0,2", "two", "-1"])
def test_a_count_that_is_not_one_or_more_is_refused(given: str) -> None:
    with pytest.raises(SystemExit, match="--processes"):
        process_counts(given)
