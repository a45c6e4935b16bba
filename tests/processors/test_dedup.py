"""The de-duplication window: bounded, least recently seen forgotten first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from processors.dedup import DedupWindow, DeliveryKey

keys = st.builds(lambda n: ("p.raw.zubie", "zubie-main", str(n).encode()), st.integers(0, 50))


@given(st.integers(0, 20), st.lists(keys, max_size=200))
def test_the_window_never_holds_more_than_its_capacity(
    capacity: int, seen: list[DeliveryKey]
) -> None:
    window = DedupWindow(capacity)
    for key in seen:
        window.remember([key])
        assert len(window) <= capacity


@given(st.integers(1, 20), st.lists(keys, max_size=200))
def test_the_most_recent_deliveries_are_remembered(capacity: int, seen: list[DeliveryKey]) -> None:
    window = DedupWindow(capacity)
    window.remember(seen)
    recent: list[DeliveryKey] = []
    for key in reversed(seen):  # the last `capacity` distinct keys, most recent first
        if key not in recent:
            recent.append(key)
    for key in recent[:capacity]:
        assert key in window
    for key in recent[capacity:]:
        assert key not in window


def test_seeing_a_delivery_again_keeps_it_longer() -> None:
    window = DedupWindow(2)
    a, b, c = (("t", "s", k) for k in (b"a", b"b", b"c"))
    window.remember([a, b])
    window.remember([a])  # a retry of a
    window.remember([c])
    assert a in window
    assert b not in window


def test_a_window_of_zero_remembers_nothing() -> None:
    window = DedupWindow(0)
    window.remember([("t", "s", b"k")])
    assert ("t", "s", b"k") not in window
