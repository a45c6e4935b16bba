"""W3C traceparent values: what is accepted, and the ids made for new and child spans."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire import traceparent

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SHAPE = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def test_the_specification_example_is_accepted_as_is() -> None:
    assert traceparent.parse(VALID) == VALID
    assert traceparent.trace_id(VALID) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert traceparent.span_id(VALID) == "00f067aa0ba902b7"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        VALID.upper(),  # ids are lowercase hex
        "01" + VALID[2:],  # another version: its format may differ
        "ff" + VALID[2:],  # the invalid version
        VALID + "-00",  # version 00 has exactly four fields
        VALID[:-1],
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
    ],
)
def test_anything_but_a_strict_version_00_value_is_refused(value: str | None) -> None:
    assert traceparent.parse(value) is None


@given(st.text(max_size=80))
def test_whatever_parse_accepts_has_the_shape(value: str) -> None:
    parsed = traceparent.parse(value)
    assert parsed is None or SHAPE.fullmatch(parsed)


def test_a_new_trace_is_valid_sampled_and_new_each_time() -> None:
    made = {traceparent.new_trace() for _ in range(1000)}
    assert len({traceparent.trace_id(v) for v in made}) == 1000
    assert all(traceparent.parse(v) == v and v.endswith("-01") for v in made)


def test_a_valid_incoming_trace_is_continued_with_a_span_of_its_own() -> None:
    continued = traceparent.continued(VALID)
    assert traceparent.parse(continued) == continued
    assert traceparent.trace_id(continued) == traceparent.trace_id(VALID)
    assert traceparent.span_id(continued) != traceparent.span_id(VALID)
    assert continued.endswith("-01")  # the sender's flags are kept
    assert traceparent.continued(VALID[:-2] + "00").endswith("-00")


def test_an_invalid_incoming_trace_is_replaced_by_a_new_one() -> None:
    fresh = traceparent.continued(VALID.upper())
    assert traceparent.parse(fresh) == fresh
    assert traceparent.trace_id(fresh) != traceparent.trace_id(VALID.lower())


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_children_stay_in_the_trace_and_are_the_same_for_the_same_name(a: str, b: str) -> None:
    first, again, other = (traceparent.child(VALID, n) for n in (a, a, b))
    assert first == again
    assert (first == other) == (a == b)
    for value in (first, other):
        assert traceparent.parse(value) == value
        assert traceparent.trace_id(value) == traceparent.trace_id(VALID)


@given(st.text(max_size=60))
def test_a_derived_trace_is_valid_and_depends_only_on_its_seed(seed: str) -> None:
    value = traceparent.derived(seed)
    assert traceparent.parse(value) == value == traceparent.derived(seed)
    assert traceparent.derived(seed + "x") != value
