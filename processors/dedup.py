"""The deliveries a processor wrote recently, so that a provider's retry is not written again.

The raw key is the delivery id (or the body's hash), so every retry of a delivery lands in
the same raw partition with the same key. A delivery is identified by raw topic, source
and key: two sources may legitimately send the same body. Only deliveries whose output
was committed are remembered, and only those that produced no dead letter: a delivery
that failed must stay replayable.

This is best effort within a bounded window: the window is in memory, holds at most
`capacity` deliveries across every partition the process owns (least recently seen go
first), and starts empty after a restart. Event ids are deterministic, so a consumer can
always de-duplicate further by id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

DeliveryKey = tuple[str, str, bytes]  # raw topic, source, raw record key


class DedupWindow:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._keys: OrderedDict[DeliveryKey, None] = OrderedDict()

    def __contains__(self, key: DeliveryKey) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def remember(self, keys: Iterable[DeliveryKey]) -> None:
        """Mark `keys` as the most recently seen; forget the oldest beyond the capacity."""
        if self._capacity <= 0:
            return
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
