"""The default store of handled ids: bounded, least recently seen forgotten first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire_events import MemorySeenStore, SeenStore


async def test_an_id_is_seen_once_remembered() -> None:
    store: SeenStore = MemorySeenStore()  # the default implements the protocol (mypy)
    assert not await store.seen("a")
    await store.remember("a")
    assert await store.seen("a")
    assert not await store.seen("b")


async def test_beyond_its_bound_the_least_recently_seen_id_is_forgotten() -> None:
    store = MemorySeenStore(max_ids=2)
    await store.remember("a")
    await store.remember("b")
    assert await store.seen("a")  # a is now more recent than b
    await store.remember("c")
    assert len(store) == 2
    assert [await store.seen(i) for i in "abc"] == [True, False, True]


def test_a_store_of_no_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MemorySeenStore(max_ids=0)


@given(st.lists(st.sampled_from("abcdefgh"), max_size=60), st.integers(1, 5))
async def test_it_behaves_like_a_bounded_lru(ids: list[str], bound: int) -> None:
    store = MemorySeenStore(max_ids=bound)
    model: list[str] = []  # most recent last
    for event_id in ids:
        expected = event_id in model
        assert await store.seen(event_id) == expected
        if expected:
            model.remove(event_id)
        model.append(event_id)
        await store.remember(event_id)
        model = model[-bound:]
        assert len(store) == len(model)
