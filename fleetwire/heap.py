"""Garbage-collector settings for the long-running processes.

Both processes allocate a few short-lived containers per webhook or record and keep almost
nothing. CPython's default (a young-generation pass every 700 allocations, a full pass
over every object now and then) spends CPU re-scanning the thousands of objects made at
start-up (modules, the aiohttp and aiokafka machinery) and stops the event loop for
milliseconds at a time, which shows as tail latency. After start-up those objects are
moved out of the collector's sight (`gc.freeze`) and the young generation is collected
less often; reference counting frees almost everything anyway.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle_after_start() -> None:
    """Call once the process has built everything it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
