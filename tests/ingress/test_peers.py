"""The workers' shared view of who has reached Kafka, as /readyz uses it."""

from __future__ import annotations

import multiprocessing

from ingress.peers import Peers


def shared_flags(count: int) -> list[Peers]:
    flags = multiprocessing.get_context("spawn").RawArray("b", count)
    return [Peers(flags, index) for index in range(count)]


def test_no_worker_is_ready_until_every_worker_has_connected() -> None:
    first, second, third = shared_flags(3)
    assert first.waiting_for() == [0, 1, 2]
    second.mark_connected()
    # Every worker sees the others' flags, whichever of them is asked.
    assert first.waiting_for() == third.waiting_for() == [0, 2]
    assert first.not_ready_reason() == "ingress worker 0, 2 of 3 not connected to kafka yet"
    first.mark_connected()
    third.mark_connected()
    assert [peer.not_ready_reason() for peer in (first, second, third)] == [None] * 3


def test_marking_twice_is_harmless() -> None:
    (only,) = shared_flags(1)
    only.mark_connected()
    only.mark_connected()
    assert only.waiting_for() == []
