"""A batch delivery fanned out to one canonical event per item, each item failing alone.

Providers that post several events in one body (Enode always, Motive sometimes) must not
lose the good items of a batch to one bad item. Each item is normalized on its own; the
bad ones are raised together as `RejectedItems`, which the Transformer writes as one dead
letter per bad item, each naming its position in the `fleetwire-item` header.

Replaying such a dead letter writes the whole raw body back with that header kept, and
the fan-out then normalizes that one item only: the good items are not published twice,
and the replayed item keeps its position, so its event id is the one it would have had.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from fleetwire.envelope import ITEM, RawRecord
from fleetwire.errors import Ping, RejectedItems, RejectedRecord
from schemas.canonical import CanonicalEvent

T = TypeVar("T")
ItemNormalizer = Callable[[int, T], CanonicalEvent]


def fan_out(
    record: RawRecord, items: Sequence[T], normalize: ItemNormalizer[T], what: str
) -> list[CanonicalEvent]:
    """One event per item, in order; a ping item is passed over.

    Raises Ping when every item was a ping, RejectedItems when any item was rejected
    (carrying the events of the others).
    """
    events: list[CanonicalEvent] = []
    rejected: list[tuple[int, RejectedRecord]] = []
    pings: list[str] = []
    for index in chosen(record, len(items), what):
        try:
            events.append(normalize(index, items[index]))
        except Ping as ping:
            pings.append(str(ping))
        except RejectedRecord as exc:
            rejected.append((index, RejectedRecord(exc.kind, f"{what}[{index}]: {exc}")))
    if rejected:
        raise RejectedItems(events, rejected)
    if pings and not events:
        raise Ping(", ".join(sorted(set(pings))))
    return events


def chosen(record: RawRecord, count: int, what: str) -> range:
    """Every position, or only the one a replayed dead letter names."""
    named = record.headers.get(ITEM)
    if named is None:
        return range(count)
    text = named.strip()
    if not (text.isascii() and text.isdigit()) or int(text) >= count:
        raise RejectedRecord(
            "invalid-payload",
            f"{ITEM} {named!r} names no item of this {what} of {count} item(s)",
        )
    index = int(text)
    return range(index, index + 1)
