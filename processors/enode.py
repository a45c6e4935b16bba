"""Enode webhooks to canonical events.

A body is an array of up to 100 events. It fans out to one canonical event per event,
its position being the event's index, so ids are deterministic per delivery
(`x-enode-delivery`, the record key); each bad event becomes a dead letter of its own
(processors/fanout.py). `system:heartbeat` and `enode:webhook:test` are pings: a batch of
nothing else is counted as a ping, and in a mixed batch they are passed over.

Mapped: `user:vehicle:updated` to `vehicle.state.reported`, one event per item. Its
`vehicle` follows Get Vehicle and holds only the fields that changed (Enode API 1.3.10,
Webhooks), so the report lists the changed readings only, each as a signal named by its
Enode path (`chargeState.batteryLevel`), in the units Enode documents: percent, km, kW,
kWh, minutes, A. Readings with a VSS counterpart carry it too. Enode's own example writes
`batteryLevel` and `range` as strings: a number in a string is read as the number.

Every other event, Enode's or not, is dead-lettered as `unsupported-event`: no shape for
them is published beside the event names (docs/normalization.md lists them).

Occurrence time: the event's `createdAt`. Signals keep their group's `lastUpdated`.
Subject: `vin:{VIN}` when `vehicle.information.vin` passes the VIN rule, else
`enode:vehicle:{vehicle.id}`. `version` is read but not routed on: one payload shape per
event is known.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedRecord
from processors import event
from processors.fanout import fan_out
from processors.timestamps import iso_utc
from schemas import canonical as c
from schemas import enode as e
from schemas.events import state
from schemas.vss import vss_values

PROVIDER = "enode"
MAX_EVENTS_PER_BATCH = 100
"""Enode sends "up to 100" events per delivery: a larger batch did not come from Enode."""

PINGS = frozenset({"system:heartbeat", "enode:webhook:test"})

# Events Enode names whose payload it does not publish: not guessed at.
NOT_MAPPED_YET = frozenset(
    {
        "user:vehicle:discovered",
        "user:vehicle:deleted",
        "user:vehicle:smart-charging-status-updated",
        "user:charger:discovered",
        "user:charger:updated",
        "user:charger:deleted",
        "user:battery:discovered",
        "user:battery:updated",
        "user:battery:deleted",
        "user:hvac:discovered",
        "user:hvac:updated",
        "user:hvac:deleted",
        "user:inverter:discovered",
        "user:inverter:updated",
        "user:inverter:deleted",
        "user:inverter:statistics-updated",
        "user:meter:discovered",
        "user:meter:updated",
        "user:meter:deleted",
        "user:credentials:invalidated",
        "user:vendor-action:updated",
        "user:charge-action:updated",
        "user:schedule:execution-updated",
    }
)

Handler = Callable[[RawRecord, int, msgspec.Raw], c.CanonicalEvent]
Reading = tuple[str, str | None, object, str | None]  # name, unit, value, VSS reading


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    items = event.decode(e.BATCH, record.body, "enode batch")
    if not items:
        raise RejectedRecord("invalid-payload", "enode batch is empty")
    if len(items) > MAX_EVENTS_PER_BATCH:
        raise RejectedRecord(
            "too-large",
            f"enode batch holds {len(items)} events; Enode sends at most "
            f"{MAX_EVENTS_PER_BATCH}, so this did not come from Enode",
        )
    return fan_out(record, items, lambda index, raw: _one(record, index, raw), "enode batch")


def _one(record: RawRecord, index: int, raw: msgspec.Raw) -> c.CanonicalEvent:
    name = event.decode(e.ITEM, raw, "enode event").event
    if name in PINGS:
        raise Ping(name)
    handler = HANDLERS.get(name)
    if handler is None:
        raise event.unsupported("enode event", name, NOT_MAPPED_YET)
    return handler(record, index, raw)


def number(value: e.Number | None, field: str) -> float | int | None:
    """A number as given, or the number a string holds; RejectedRecord for anything else."""
    if value is None or isinstance(value, int | float):
        return value
    try:
        parsed = float(value.strip())
    except ValueError:
        raise RejectedRecord("invalid-payload", f"{field}: {value!r} is not a number") from None
    if not math.isfinite(parsed):
        raise RejectedRecord("invalid-payload", f"{field}: {value!r} is not a finite number")
    return parsed


def _time(text: str | None, field: str) -> str | None:
    return None if text is None else iso_utc(text, field)


def _charge_readings(charge: e.ChargeState) -> list[Reading]:
    where = "vehicle.chargeState"
    return [
        (
            "batteryLevel",
            "percent",
            number(charge.battery_level, f"{where}.batteryLevel"),
            "soc_percent",
        ),
        ("range", "km", number(charge.range, f"{where}.range"), "range_km"),
        ("isPluggedIn", None, charge.is_plugged_in, "is_plugged"),
        ("isCharging", None, charge.is_charging, "is_charging"),
        ("isFullyCharged", None, charge.is_fully_charged, None),
        ("chargeRate", "kW", number(charge.charge_rate, f"{where}.chargeRate"), None),
        ("chargeLimit", "percent", number(charge.charge_limit, f"{where}.chargeLimit"), None),
        (
            "chargeTimeRemaining",
            "min",
            number(charge.charge_time_remaining, f"{where}.chargeTimeRemaining"),
            None,
        ),
        (
            "batteryCapacity",
            "kWh",
            number(charge.battery_capacity, f"{where}.batteryCapacity"),
            None,
        ),
        ("maxCurrent", "A", number(charge.max_current, f"{where}.maxCurrent"), None),
        ("powerDeliveryState", None, charge.power_delivery_state, None),
    ]


def _signal(
    group: str | None,
    name: str,
    value: object,
    *,
    unit: str | None = None,
    reading: str | None = None,
    updated: str | None = None,
) -> state.Signal | None:
    """One reading as a signal; None when the vehicle did not report it (unchanged)."""
    if value is None:
        return None
    return state.Signal(
        code=f"{group}.{name}" if group else name,
        group=group,
        value=value,
        unit=unit,
        oem_updated_at=updated,
        vss=vss_values(reading, value, unit) if reading else (),
    )


def _signals(vehicle: e.Vehicle) -> tuple[state.Signal, ...]:
    found = [_signal(None, "isReachable", vehicle.is_reachable)]
    if vehicle.charge_state is not None:
        updated = _time(vehicle.charge_state.last_updated, "vehicle.chargeState.lastUpdated")
        found.extend(
            _signal("chargeState", name, value, unit=unit, reading=reading, updated=updated)
            for name, unit, value, reading in _charge_readings(vehicle.charge_state)
        )
    if vehicle.odometer is not None:
        odometer = vehicle.odometer
        found.append(
            _signal(
                "odometer",
                "distance",
                number(odometer.distance, "vehicle.odometer.distance"),
                unit="km",
                reading="odometer_km",
                updated=_time(odometer.last_updated, "vehicle.odometer.lastUpdated"),
            )
        )
    if vehicle.location is not None:
        where = vehicle.location
        found.append(
            _signal(
                None,
                "location",
                {"latitude": where.latitude, "longitude": where.longitude},
                updated=_time(where.last_updated, "vehicle.location.lastUpdated"),
            )
        )
    return tuple(signal for signal in found if signal is not None)


def _vehicle_updated(record: RawRecord, index: int, raw: msgspec.Raw) -> c.CanonicalEvent:
    item = event.decode(e.VEHICLE_UPDATED, raw, "enode user:vehicle:updated")
    ev = item.vehicle
    info = ev.information or e.Information()
    vehicle = event.vehicle(
        info.vin,
        provider_id=ev.id,
        name=info.display_name,
        make=info.brand,
        model=info.model,
        year=info.year,
    )
    where = ev.location
    report = state.StateReport(
        vehicle=vehicle,
        signals=_signals(ev),
        user_id=item.user.id if item.user else ev.user_id,
        location=(
            c.Location(latitude=where.latitude, longitude=where.longitude) if where else None
        ),
    )
    return event.build(
        record,
        index=index,
        ce_type="vehicle.state.reported",
        time=iso_utc(item.created_at, "createdAt"),
        subject=event.subject(PROVIDER, vehicle, "vehicle", ev.id),
        provider_event_type=item.event,
        data=report,
    )


HANDLERS: dict[str, Handler] = {
    "user:vehicle:updated": _vehicle_updated,
}
