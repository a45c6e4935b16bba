"""Vehicle health: trouble codes, low battery, low fuel, maintenance due."""

from __future__ import annotations

from schemas.canonical import Canonical
from schemas.events.common import VehicleStatusData


class TroubleCode(Canonical, frozen=True, kw_only=True):
    """A diagnostic trouble code (OBD-II, e.g. `P0900`) with the provider's explanation.

    `severity` is the provider's number, passed on unchanged (its scale is undocumented).
    Repair costs are the provider's estimate in its currency (US dollars for Zubie,
    assumed: the currency is not stated). `failure_mode` (a J1939 FMI) and `controller`
    (the reporting module) are the provider's codes or ids for them, where it gives them;
    `state` is the provider's state of the code as written (Geotab: `Active`, `Pending`).
    """

    code: str
    description: str | None = None
    detailed_description: str | None = None
    severity: int | None = None
    repair_cost_low: float | None = None
    repair_cost_high: float | None = None
    failure_mode: str | None = None
    controller: str | None = None
    state: str | None = None


class DtcEvent(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.dtc.detected / vehicle.dtc.cleared."""

    dtc: TroubleCode


class BatteryLow(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.battery.low: the 12 V battery's voltage is in `battery_voltage`."""


class FuelLow(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.fuel.low: the fuel level is in `fuel_level_percent`."""


class Maintenance(Canonical, frozen=True, kw_only=True):
    """A maintenance reminder. `next_service_date` is a calendar date (`YYYY-MM-DD`)."""

    id: str | None = None
    key: str | None = None
    summary: str | None = None
    description: str | None = None
    next_service_date: str | None = None
    next_service_km: float | None = None


class MaintenanceDue(VehicleStatusData, frozen=True, kw_only=True):
    """vehicle.maintenance.due. `provider_event_id` is the id the provider gave the event."""

    maintenance: Maintenance
    provider_event_id: str | None = None
