"""Parts of `data` that the canonical types of several domains share."""

from __future__ import annotations

from typing import Any

from schemas.canonical import Canonical, EventData, Location


class VssValue(Canonical, frozen=True, kw_only=True):
    """A reading under its COVESA VSS name (release 5.0), in the unit VSS gives that path.

    `path` is the VSS path (`Vehicle.TraveledDistance`), `unit` VSS's unit name (`km`,
    `m`, `percent`, `V`, `degrees`; null for a boolean). The same reading stays in
    fleetwire's own fields and units; schemas/vss.py holds the table.
    """

    path: str
    value: Any
    unit: str | None = None


class AccountEventData(EventData, frozen=True, kw_only=True):
    """An event that names the provider account (and user) it came through.

    `account_id` is the provider's account or customer id, `user_id` the provider user
    who granted access; both as strings whatever type the provider used.
    """

    account_id: str | None = None
    user_id: str | None = None


class VehicleStatusData(AccountEventData, frozen=True, kw_only=True):
    """An event that also reports the vehicle's position and readings at that moment.

    `fuel_level_percent` is 0 to 100. `battery_voltage` is the 12 V battery's voltage in
    volts: it says nothing about the state of charge of a traction battery. `vss` lists
    those readings under their VSS paths and units.
    """

    location: Location | None = None
    fuel_level_percent: float | None = None
    battery_voltage: float | None = None
    vss: tuple[VssValue, ...] = ()


class TripPoint(Canonical, frozen=True, kw_only=True):
    """The sample of a trip that the provider attached to a driving or place event.

    `time` is RFC 3339 UTC. `acceleration_kmh_per_s` is the change of speed in km/h per
    second (negative when braking). `gps_quality` is the provider's figure, passed on
    unchanged (its scale is undocumented).
    """

    id: str | None = None
    key: str | None = None
    time: str | None = None
    speed_kmh: float | None = None
    heading_deg: float | None = None
    acceleration_kmh_per_s: float | None = None
    engine_rpm: float | None = None
    gps_quality: float | None = None
