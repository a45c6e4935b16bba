"""Charging: command results, charging and plug state, state-of-charge thresholds.

Domain `charging`. Distances are km; state-of-charge is percent.
"""

from __future__ import annotations

from schemas.canonical import Canonical, EventData, Location
from schemas.events.common import VssValue


class CommandEvent(EventData, frozen=True, kw_only=True):
    """charger.command.completed / vehicle.command.completed.

    Completed means the provider reports an outcome; `success` says which one. For a
    charger command `data.vehicle` is empty and `charger_id` names the charger.
    """

    action: str
    success: bool
    code: str | None = None
    message: str | None = None
    job_id: str | None = None
    charger_id: str | None = None


class Battery(Canonical, frozen=True, kw_only=True):
    """The traction battery in a status snapshot; `updated_at` is when it was read (UTC)."""

    soc_percent: float | None = None
    range_km: float | None = None
    is_charging: bool | None = None
    is_plugged: bool | None = None
    charge_threshold_met: bool | None = None
    updated_at: str | None = None


class VehicleStatus(Canonical, frozen=True, kw_only=True):
    """The provider's latest snapshot of the vehicle, sent along with the change.

    `connection_state` is the provider's data link to the vehicle (e.g. `ACTIVE`), not a
    charging or plug state.
    """

    battery: Battery | None = None
    location: Location | None = None
    location_updated_at: str | None = None
    odometer_km: float | None = None
    odometer_updated_at: str | None = None
    connection_state: str | None = None
    connection_state_description: str | None = None
    snapshot_id: str | None = None


class StatusEvent(EventData, frozen=True, kw_only=True):
    """Base of the events that report a change together with a status snapshot.

    `location` is where the vehicle was, the snapshot's position (`status.location`,
    kept), so that every type that knows a position has it at `data.location`. `vss`
    lists the snapshot's readings (and a `soc_percent` the event reports) under their
    VSS paths and units.
    """

    job_id: str | None = None
    message: str | None = None
    status: VehicleStatus | None = None
    location: Location | None = None
    vss: tuple[VssValue, ...] = ()


class ChargingChanged(StatusEvent, frozen=True, kw_only=True):
    """vehicle.charging.changed; `charging_state` as the provider names it (`Charging`)."""

    charging_state: str


class PlugChanged(StatusEvent, frozen=True, kw_only=True):
    """vehicle.plug.changed; `plug_state` as the provider names it (`Plugged`)."""

    plug_state: str


class SocReached(StatusEvent, frozen=True, kw_only=True):
    """vehicle.battery.soc_reached: the state of charge crossed a configured target.

    `soc_percent` is the value the event reports; `status.battery.soc_percent` is the
    snapshot's, which may differ (they are read at different moments).
    """

    soc_percent: float
    target_soc_percent: float | None = None
