"""Typed fleetwire canonical events.

    from fleetwire_events import decode
    event = decode(record.value)   # Event[TripEvent] for a vehicle.trip.ended, ...

`decode` gives an `Event` whose `data` is the frozen msgspec struct of its type (see
`TYPES`), or a dict for a type this release does not know; it raises `DecodeError` for
anything that is not a canonical event. The structs are in `fleetwire_events.events.*`.
`fleetwire_events.consumer.Consumer` (the `kafka` extra) reads the topics.
"""

from fleetwire_events.canonical import EventData, Location, Vehicle
from fleetwire_events.catalog import DOMAINS, TYPES, EventType
from fleetwire_events.decoding import DecodeError, Event, decode, is_typed
from fleetwire_events.dedup import MemorySeenStore, SeenStore

__all__ = [
    "DOMAINS",
    "TYPES",
    "DecodeError",
    "Event",
    "EventData",
    "EventType",
    "Location",
    "MemorySeenStore",
    "SeenStore",
    "Vehicle",
    "decode",
    "is_typed",
]
