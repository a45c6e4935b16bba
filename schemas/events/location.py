"""Where vehicles are: position updates and geofence (place) crossings."""

from __future__ import annotations

from schemas.canonical import Canonical, Location
from schemas.events.common import TripPoint, VehicleStatusData


class LocationUpdate(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.location.updated: `location` is always present."""

    location: Location


class Geofence(Canonical, frozen=True, kw_only=True):
    """A place defined at the provider. `radius_km` is its radius converted to km."""

    id: str | None = None
    key: str | None = None
    name: str | None = None
    address: str | None = None
    radius_km: float | None = None


class GeofenceCrossing(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.geofence.entered / vehicle.geofence.exited."""

    geofence: Geofence
    point: TripPoint | None = None
