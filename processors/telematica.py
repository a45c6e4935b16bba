"""Telematica (Svix) to canonical charging and connectivity events.

Occurrence time: Telematica bodies carry none. The event is timed by the delivery's
`svix-timestamp` (or `webhook-timestamp`) header, Unix seconds, which the ingress has
checked is within five minutes of its clock; without a usable one, by the time the
ingress received it. Either way it is when the event was sent, not when the vehicle
changed (the snapshot's own `lastUpdated` times are kept in `data.status`), and a retry
carries a later timestamp: the event id stays the same, the time may not.

Units: `rangeUnit` and `odo.unit` are converted to km (`km`, `mi`/`miles`, ...); a unit
that is absent is assumed to be km (the samples say `km`; Telematica does not document
the set), and an unknown one rejects the record rather than guess.

Location: the snapshot's position is the event's `data.location` (and stays in
`data.status.location`). VSS: the snapshot's state of charge, range, charging and plug
flags and odometer are also listed in `data.vss` (schemas/vss.py).

Subject: `vin:{VIN}` when the snapshot's or device's VIN passes the VIN rule, else
`telematica:vehicle:{vehicleId or deviceId}`; a charger command is keyed
`telematica:charger:{chargerId}`. Device lists fan out to one event per device, its
position being the index (ids are deterministic per `svix-id`, the record key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import epoch_s_utc, iso_utc
from processors.units import distance_km
from schemas import canonical as c
from schemas import telematica as t
from schemas.events import charging, connectivity
from schemas.events.common import VssValue
from schemas.vss import vss_values

PROVIDER = "telematica"
TIMESTAMP_HEADERS = ("svix-timestamp", "webhook-timestamp")
MAX_DEVICES_PER_EVENT = 1000
"""A longer device list is rejected (`too-large`) rather than fanned out."""

Handler = Callable[[RawRecord, str], list[c.CanonicalEvent]]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    envelope = event.decode(t.ENVELOPE, record.body, "telematica body")
    handler = HANDLERS.get(envelope.type)
    if handler is None:
        raise event.unsupported("telematica event", envelope.type)
    return handler(record, occurred_at(record))


def occurred_at(record: RawRecord) -> str:
    """The delivery's signed timestamp header, else the time the ingress received it."""
    for name in TIMESTAMP_HEADERS:
        value = record.headers.get(name, "").strip()
        if value.isascii() and value.isdigit():
            try:
                return epoch_s_utc(int(value), name)
            except RejectedRecord:
                continue  # nonsense in this header: another, or the receive time, will do
    return iso_utc(record.received_at, "fleetwire-received-at")


def _optional_time(text: str | None, field: str) -> str | None:
    return None if text is None else iso_utc(text, field)


def _km(value: float | None, unit: str | None, field: str) -> float | None:
    if value is None:
        return None
    if unit is None:
        return value  # assumed km, see the module docstring
    km = distance_km(value, unit)
    if km is None:
        raise RejectedRecord(
            "invalid-payload", f"{field}: {unit!r} is not a distance unit fleetwire knows"
        )
    return km


def _battery(state: t.BatteryState | None) -> charging.Battery | None:
    if state is None:
        return None
    return charging.Battery(
        soc_percent=state.soc,
        range_km=_km(state.range, state.range_unit, "vehicleState.batteryState.rangeUnit"),
        is_charging=state.is_charging,
        is_plugged=state.is_plugged,
        charge_threshold_met=state.charge_threshold_met,
        updated_at=_optional_time(state.last_updated, "vehicleState.batteryState.lastUpdated"),
    )


def _location(position: t.Position | None) -> c.Location | None:
    if position is None or position.latitude is None or position.longitude is None:
        return None
    return c.Location(latitude=position.latitude, longitude=position.longitude)


def _status(state: t.VehicleState | None) -> charging.VehicleStatus | None:
    if state is None:
        return None
    odo = state.odo or t.Odometer()
    position = state.location or t.Position()
    return charging.VehicleStatus(
        battery=_battery(state.battery_state),
        location=_location(state.location),
        location_updated_at=_optional_time(position.last_updated, "vehicleState.location"),
        odometer_km=_km(odo.value, odo.unit, "vehicleState.odo.unit"),
        odometer_updated_at=_optional_time(odo.last_updated, "vehicleState.odo.lastUpdated"),
        connection_state=state.state,
        connection_state_description=state.state_description,
        snapshot_id=state.id,
    )


def _report_vehicle(report: t.VehicleReport) -> c.Vehicle:
    state = report.vehicle_state
    attrs = (state.static_attributes if state else None) or t.StaticAttributes()
    return event.vehicle(
        attrs.vin,
        provider_id=report.vehicle_id,
        name=attrs.nickname,
        make=attrs.make,
        model=attrs.model,
        year=attrs.year,
        registration=attrs.registration,
    )


class _Common(TypedDict):
    """The fields every status event's data has: the vehicle, the job and the snapshot."""

    vehicle: c.Vehicle
    job_id: str | None
    message: str | None
    status: charging.VehicleStatus | None
    location: c.Location | None
    vss: tuple[VssValue, ...]


def _vss(status: charging.VehicleStatus | None, soc_percent: float | None) -> tuple[VssValue, ...]:
    """The readings under their VSS names: the event's own state of charge before the
    snapshot's, so that each path appears once."""
    battery = (status.battery if status else None) or charging.Battery()
    readings = (
        ("soc_percent", battery.soc_percent if soc_percent is None else soc_percent),
        ("range_km", battery.range_km),
        ("is_charging", battery.is_charging),
        ("is_plugged", battery.is_plugged),
        ("odometer_km", status.odometer_km if status else None),
    )
    return tuple(value for name, reading in readings for value in vss_values(name, reading))


def _report(
    record: RawRecord,
    time: str,
    ce_type: str,
    report: t.VehicleReport,
    data: Callable[[_Common], c.EventData],
    *,
    soc_percent: float | None = None,
) -> list[c.CanonicalEvent]:
    vehicle = _report_vehicle(report)
    status = _status(report.vehicle_state)
    common = _Common(
        vehicle=vehicle,
        job_id=report.job_id,
        message=report.message,
        status=status,
        location=status.location if status else None,
        vss=_vss(status, soc_percent),
    )
    return [
        event.build(
            record,
            index=0,
            ce_type=ce_type,
            time=time,
            subject=event.subject(PROVIDER, vehicle, "vehicle", report.vehicle_id),
            provider_event_type=report.type,
            data=data(common),
        )
    ]


def _charging_status(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
    report = event.decode(t.STATE_CHANGE, record.body, "telematica vehicle.charging-status")
    return _report(
        record,
        time,
        "vehicle.charging.changed",
        report,
        lambda common: charging.ChargingChanged(**common, charging_state=report.current_state),
    )


def _plug_status(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
    report = event.decode(t.STATE_CHANGE, record.body, "telematica vehicle.plug-status")
    return _report(
        record,
        time,
        "vehicle.plug.changed",
        report,
        lambda common: charging.PlugChanged(**common, plug_state=report.current_state),
    )


def _soc(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
    report = event.decode(t.SOC, record.body, "telematica vehicle.soc")
    return _report(
        record,
        time,
        "vehicle.battery.soc_reached",
        report,
        lambda common: charging.SocReached(
            **common, soc_percent=report.current_soc, target_soc_percent=report.target_soc
        ),
        soc_percent=report.current_soc,
    )


def _command_data(
    command: t.Command, vehicle: c.Vehicle, charger_id: str | None = None
) -> charging.CommandEvent:
    return charging.CommandEvent(
        vehicle=vehicle,
        action=command.action,
        success=command.success,
        code=command.code,
        message=command.message,
        job_id=command.job_id,
        charger_id=charger_id,
    )


def _charger_command(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
    command = event.decode(t.CHARGER_COMMAND, record.body, "telematica charger.charging-command")
    vehicle = event.vehicle()  # a charger, not a vehicle: it is named in data.charger_id
    return [
        event.build(
            record,
            index=0,
            ce_type="charger.command.completed",
            time=time,
            subject=event.subject(PROVIDER, vehicle, "charger", command.charger_id),
            provider_event_type=command.type,
            data=_command_data(command, vehicle, command.charger_id),
        )
    ]


def _vehicle_command(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
    command = event.decode(t.VEHICLE_COMMAND, record.body, "telematica vehicle.charging-command")
    vehicle = event.vehicle(provider_id=command.vehicle_id)
    return [
        event.build(
            record,
            index=0,
            ce_type="vehicle.command.completed",
            time=time,
            subject=event.subject(PROVIDER, vehicle, "vehicle", command.vehicle_id),
            provider_event_type=command.type,
            data=_command_data(command, vehicle),
        )
    ]


def _device_data(device: t.Device | str, user: str | None) -> connectivity.ConnectionEvent:
    if isinstance(device, str):
        return connectivity.ConnectionEvent(vehicle=event.vehicle(provider_id=device), user_id=user)
    return connectivity.ConnectionEvent(
        vehicle=event.vehicle(
            device.vin,
            provider_id=device.device_id,
            name=device.nickname,
            make=device.make,
            model=device.model,
            year=device.year,
        ),
        user_id=device.client_user_id or user,
        device_type=device.device_type,
        engine_type=device.engine_type,
        country=device.country,
    )


def _devices(ce_type: str) -> Handler:
    def handle(record: RawRecord, time: str) -> list[c.CanonicalEvent]:
        payload = event.decode(t.DEVICES, record.body, "telematica user.devices event")
        if not payload.devices:
            raise RejectedRecord("invalid-payload", f"telematica {payload.type}: devices is empty")
        if len(payload.devices) > MAX_DEVICES_PER_EVENT:
            raise RejectedRecord(
                "too-large",
                f"telematica {payload.type} lists {len(payload.devices)} devices, more than "
                f"the {MAX_DEVICES_PER_EVENT} one event may fan out to; if Telematica "
                "really sends such lists, raise processors.telematica.MAX_DEVICES_PER_EVENT "
                "and replay",
            )
        events = []
        for index, device in enumerate(payload.devices):
            data = _device_data(device, payload.user)
            device_id = device if isinstance(device, str) else device.device_id
            events.append(
                event.build(
                    record,
                    index=index,
                    ce_type=ce_type,
                    time=time,
                    subject=event.subject(PROVIDER, data.vehicle, "vehicle", device_id),
                    provider_event_type=payload.type,
                    data=data,
                )
            )
        return events

    return handle


HANDLERS: dict[str, Handler] = {
    "charger.charging-command": _charger_command,
    "vehicle.charging-command": _vehicle_command,
    "vehicle.charging-status": _charging_status,
    "vehicle.plug-status": _plug_status,
    "vehicle.soc": _soc,
    "user.devices-connected": _devices("vehicle.connected"),
    "user.devices-disconnected": _devices("vehicle.disconnected"),
}
