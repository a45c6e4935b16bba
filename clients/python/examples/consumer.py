"""Trips and trouble codes, typed: pip install './clients/python[kafka]'."""

import asyncio
from typing import Any

from fleetwire_events import Event
from fleetwire_events.consumer import Consumer
from fleetwire_events.events.health import DtcEvent
from fleetwire_events.events.trips import TripEvent

TYPES = ["vehicle.trip.ended", "vehicle.dtc.detected"]  # globs work too: "vehicle.trip.*"


async def handle(event: Event[Any]) -> None:
    match event.data:
        case TripEvent(trip=trip):
            print(event.subject, "drove", trip.distance_km, "km")
        case DtcEvent(dtc=dtc):
            print(event.subject, "reports", dtc.code, dtc.description)


if __name__ == "__main__":  # KAFKA_BOOTSTRAP_SERVERS, KAFKA_SASL_*, ... as for fleetwire
    asyncio.run(Consumer("fleet-maintenance", types=TYPES).run(handle))
