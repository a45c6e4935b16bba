"""Trips: vehicle.trip.started, vehicle.trip.ended, vehicle.trip.tagged."""

from __future__ import annotations

from schemas.canonical import Canonical, Location
from schemas.events.common import VehicleStatusData


class SpeedingCounts(Canonical, frozen=True, kw_only=True):
    """How many speeding episodes of each class the provider counted during the trip."""

    city_minor: int | None = None
    city_major: int | None = None
    highway_minor: int | None = None
    highway_major: int | None = None


class Trip(Canonical, frozen=True, kw_only=True):
    """A trip as far as it is known when the event is sent (a start knows little).

    Times are RFC 3339 UTC; `duration_s` is `ended_at - started_at` when both are known.
    Addresses are one line, `street, city, state zipcode`.
    """

    id: str | None = None
    key: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    start_location: Location | None = None
    end_location: Location | None = None
    distance_km: float | None = None
    duration_s: float | None = None
    max_speed_kmh: float | None = None
    idle_time_s: float | None = None
    hard_brakes: int | None = None
    rapid_accelerations: int | None = None
    start_address: str | None = None
    end_address: str | None = None
    tags: tuple[str, ...] = ()
    fuel_cost: float | None = None
    fuel_cost_currency: str | None = None
    speeding: SpeedingCounts | None = None


class TripEvent(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.trip.started / vehicle.trip.ended / vehicle.trip.tagged."""

    trip: Trip
