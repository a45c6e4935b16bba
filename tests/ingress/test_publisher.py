"""The raw-record writer's deadlines: overdue writes are cancelled, nothing else is."""

from __future__ import annotations

import asyncio

import pytest

from ingress.publisher import Deadlines


async def stuck_write(deadlines: Deadlines) -> str:
    write = deadlines.watch()
    try:
        await asyncio.Event().wait()  # Kafka never answers
    except asyncio.CancelledError:
        if write.timed_out():
            return "expired"
        raise
    finally:
        write.done = True
    return "answered"


async def quick_write(deadlines: Deadlines) -> str:
    write = deadlines.watch()
    try:
        await asyncio.sleep(0)
    finally:
        write.done = True
    return "answered"


async def test_a_write_that_outlives_the_timeout_is_cancelled_and_others_are_not() -> None:
    deadlines = Deadlines(timeout_s=0.2, interval_s=0.02)
    deadlines.start()
    try:
        results = await asyncio.gather(
            quick_write(deadlines), stuck_write(deadlines), quick_write(deadlines)
        )
        assert results == ["answered", "expired", "answered"]
        # A finished write is forgotten, never cancelled later: its task goes on.
        assert await quick_write(deadlines) == "answered"
        await asyncio.sleep(0.3)
        assert not asyncio.current_task().cancelling()  # type: ignore[union-attr]
    finally:
        deadlines.stop()


async def test_a_cancellation_from_elsewhere_is_not_taken_for_a_deadline() -> None:
    deadlines = Deadlines(timeout_s=30.0)
    deadlines.start()
    try:
        task = asyncio.create_task(stuck_write(deadlines))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        deadlines.stop()
