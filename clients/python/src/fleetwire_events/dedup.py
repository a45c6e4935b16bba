"""Remembering which event ids were handled, so that a redelivered event is skipped.

Event ids are deterministic: the same delivery, however often the provider retries it or
fleetwire reprocesses it, has the same id. Any store that answers "seen?" and remembers
will do; a team that writes events to a database is best served by a unique key on `id`
there, in the same transaction as its own write.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

DEFAULT_MAX_IDS = 100_000


class SeenStore(Protocol):
    """Where the consumer looks up and records handled event ids."""

    async def seen(self, event_id: str) -> bool:
        """Whether an event with this id was handled already."""
        ...

    async def remember(self, event_id: str) -> None:
        """Record that the event with this id was handled."""
        ...


class MemorySeenStore:
    """The last `max_ids` ids handled, in memory: duplicates close together are caught,
    and nothing survives a restart."""

    def __init__(self, max_ids: int = DEFAULT_MAX_IDS) -> None:
        if max_ids < 1:
            raise ValueError(f"max_ids must be at least 1, not {max_ids}")
        self._max_ids = max_ids
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    async def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            self._ids.move_to_end(event_id)  # seen again: keep it longer
            return True
        return False

    async def remember(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._max_ids:
            self._ids.popitem(last=False)
