"""Samsara to canonical (docs/normalization.md, "Samsara").

Time: the event's own start (`startTime` of a speeding event), else the envelope's
`eventTime`. Samsara's published examples carry an `eventTime` of 1970 (Unix seconds
read as milliseconds); an `eventTime` outside 2000-2100 is not believed, and the
delivery's signed `X-Samsara-Timestamp` (when Samsara sent it, seconds after the event)
stands in for it, else the time the ingress received the delivery.

Subject: `vin:{VIN}` when the vehicle's VIN (`vin`, or `vehicleVin` in speeding events)
passes the VIN rule; else `samsara:vehicle:{id}`; a gateway event without a vehicle is
keyed `samsara:gateway:{serial}`.

Faults: one canonical event per code system the fault carries (J1939, the OEM's, OBD-II),
in that order, so that no code is dropped; a J1939 code is its SPN, its FMI the
`failure_mode`, as Geotab's are.
Geofences: the place's name, address and circle radius (metres to km); its centre is not
where the vehicle was, and Samsara sends no vehicle position, so `data.location` is null.

Not mapped: 1.0 `Alert` (its `event` names no vehicle, only words) and every 2.0 event
without a struct in schemas/samsara.py are dead-lettered as `unsupported-event`, to be
replayed once a mapping lands. A 1.0 `Ping` is Samsara's test delivery: counted, no event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedRecord
from processors import event
from processors.timestamps import MAX_YEAR, MIN_YEAR, format_utc, from_epoch_s, iso_utc
from schemas import canonical as c
from schemas import samsara as s
from schemas.events import devices, driving, health, location, trips

PROVIDER = "samsara"
SENT_AT_HEADER = "x-samsara-timestamp"

Produced = tuple[str, str, c.EventData]  # canonical type, time, data
Handler = Callable[[Any, RawRecord], list[Produced]]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    body = _decode(record.body)
    if isinstance(body, s.Ping):
        raise Ping("samsara Ping")
    if isinstance(body, s.Alert):
        raise RejectedRecord(
            "unsupported-event",
            "samsara 1.0 Alert is not supported: its event names no vehicle, only text "
            "(alertConditionId, details, summary); use Webhooks 2.0 events instead",
        )
    return [
        event.build(
            record,
            index=index,
            ce_type=ce_type,
            time=time,
            subject=_subject(data),
            provider_event_type=s.event_type(body),
            data=data,
        )
        for index, (ce_type, time, data) in enumerate(HANDLERS[type(body)](body, record))
    ]


def _decode(body: bytes) -> s.Event:
    try:
        return s.BODY.decode(body)
    except event.DECODE_ERRORS as exc:
        name = _event_type(body)
        if name == "Ping":  # a test delivery whatever else it holds: never a dead letter
            raise Ping("samsara Ping") from None
        if name is not None and name not in s.EVENTS:
            raise event.unsupported("samsara event", name) from None
        raise event.decode_error(exc, body, f"samsara {name or 'body'}") from None


def _event_type(body: bytes) -> str | None:
    try:
        return s.ENVELOPE.decode(body).event_type
    except event.DECODE_ERRORS:
        return None


# Time ---------------------------------------------------------------------------------


def _occurred_at(body: s.Event2, record: RawRecord, own: str | None = None) -> str:
    """The event's own time, else a believable `eventTime`, else when it was sent."""
    if own:
        return iso_utc(own, "startTime")
    try:
        return iso_utc(body.event_time, "eventTime")
    except RejectedRecord:
        if not _believable_year(body.event_time):
            return _sent_at(record)
        raise


def _believable_year(text: str) -> bool:
    year = text.strip()[:4]
    return not year.isdigit() or MIN_YEAR <= int(year) <= MAX_YEAR


def _sent_at(record: RawRecord) -> str:
    value = record.headers.get(SENT_AT_HEADER, "").strip()
    if value.isascii() and value.isdigit():
        try:
            return format_utc(from_epoch_s(int(value), SENT_AT_HEADER))
        except RejectedRecord:
            pass  # nonsense in the header: the receive time will do
    return iso_utc(record.received_at, "fleetwire-received-at")


# Subject and parts ----------------------------------------------------------------------


def _subject(data: c.EventData) -> str:
    if isinstance(data, devices.DeviceEventData) and not data.vehicle.provider_id:
        return event.subject(PROVIDER, data.vehicle, "gateway", data.device.serial)
    return event.subject(PROVIDER, data.vehicle, "vehicle", data.vehicle.provider_id)


def _vehicle(reported: s.Vehicle | None, gateway: s.Gateway | None = None) -> c.Vehicle:
    device = gateway or (reported.gateway if reported else None)
    serial = device.serial if device else None
    if reported is None:
        return event.vehicle(device_id=serial)
    return event.vehicle(
        reported.reported_vin(),
        provider_id=_text(reported.id),
        name=reported.name,
        registration=reported.license_plate,
        device_id=serial,
    )


def _account(body: s.Event2) -> str | None:
    return _text(body.org_id)


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


# Handlers, one per Samsara event ---------------------------------------------------------


def _faults(ce_type: str) -> Handler:
    def handle(body: s.EngineFaultOn | s.EngineFaultOff, record: RawRecord) -> list[Produced]:
        codes = _trouble_codes(body.data.fault)
        if not codes:
            raise RejectedRecord(
                "invalid-payload", f"samsara {s.event_type(body)}: data.fault holds no code"
            )
        time = _occurred_at(body, record)
        vehicle = _vehicle(body.data.vehicle)
        return [
            (ce_type, time, health.DtcEvent(vehicle=vehicle, account_id=_account(body), dtc=dtc))
            for dtc in codes
        ]

    return handle


def _trouble_codes(fault: s.Fault) -> list[health.TroubleCode]:
    found = []
    j1939 = fault.j1939
    if j1939 is not None and j1939.spn is not None and j1939.spn.id is not None:
        fmi = j1939.fmi or s.CodeRef()
        parts = (("SPN", j1939.spn), ("FMI", fmi))
        details = "; ".join(f"{name}: {ref.description}" for name, ref in parts if ref.description)
        found.append(
            health.TroubleCode(
                code=_code_number(j1939.spn.id),
                description=j1939.vendor_dtc_description or j1939.spn.description,
                detailed_description=details or None,
                failure_mode=None if fmi.id is None else _code_number(fmi.id),
            )
        )
    oem = fault.oem
    if oem is not None and oem.code_identifier:
        found.append(health.TroubleCode(code=oem.code_identifier, description=oem.code_description))
    dtc = fault.passenger.dtc if fault.passenger else None
    if dtc is not None and (dtc.short_code or dtc.trouble_code is not None):
        code = dtc.short_code or str(dtc.trouble_code)
        found.append(health.TroubleCode(code=code, description=dtc.description))
    return found


def _code_number(value: str | int) -> str:
    """J1939 numbers come as strings (`"1"`) or numbers; both read the same, trimmed."""
    text = str(value).strip()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def _geofence(ce_type: str) -> Handler:
    def handle(body: s.GeofenceEntry | s.GeofenceExit, record: RawRecord) -> list[Produced]:
        place = body.data.address
        circle = place.geofence.circle if place.geofence else None
        radius_m = circle.radius_meters if circle else None
        geofence = location.Geofence(
            id=_text(place.id),
            name=place.name,
            address=place.formatted_address,
            radius_km=None if radius_m is None else round(radius_m / 1000, 6),
        )
        data = location.GeofenceCrossing(
            vehicle=_vehicle(body.data.vehicle), account_id=_account(body), geofence=geofence
        )
        return [(ce_type, _occurred_at(body, record), data)]

    return handle


def _speeding(detail: s.Speeding, body: s.Event2, severe: bool) -> driving.Speeding:
    severity: Literal["normal", "severe"] = "normal"
    if severe or (detail.severity_level or "").strip().lower() == "severe":
        severity = "severe"
    trip = None
    if detail.trip_start_time:
        trip = trips.Trip(started_at=iso_utc(detail.trip_start_time, "tripStartTime"))
    started = iso_utc(detail.start_time, "startTime") if detail.start_time else None
    return driving.Speeding(
        vehicle=_vehicle(detail.vehicle),
        account_id=_account(body),
        trip=trip,
        episode=driving.Episode(started_at=started) if started else None,
        severity=severity,
    )


def _speeding_started(body: s.SpeedingEventStarted, record: RawRecord) -> list[Produced]:
    data = _speeding(body.data, body, severe=False)
    return [("driving.speeding", _occurred_at(body, record, body.data.start_time), data)]


def _severe_speeding_started(body: s.SevereSpeedingStarted, record: RawRecord) -> list[Produced]:
    detail = body.data.detail()
    data = _speeding(detail, body, severe=True)
    return [("driving.speeding", _occurred_at(body, record, detail.start_time), data)]


def _gateway_unplugged(body: s.GatewayUnplugged, record: RawRecord) -> list[Produced]:
    gateway = body.data.gateway
    data = devices.DeviceUnplugged(
        vehicle=_vehicle(gateway.vehicle, gateway),
        account_id=_account(body),
        device=devices.Device(serial=gateway.serial),
    )
    return [("device.unplugged", _occurred_at(body, record), data)]


HANDLERS: dict[type[s.Event], Handler] = {
    s.EngineFaultOn: _faults("vehicle.dtc.detected"),
    s.EngineFaultOff: _faults("vehicle.dtc.cleared"),
    s.GeofenceEntry: _geofence("vehicle.geofence.entered"),
    s.GeofenceExit: _geofence("vehicle.geofence.exited"),
    s.SpeedingEventStarted: _speeding_started,
    s.SevereSpeedingStarted: _severe_speeding_started,
    s.GatewayUnplugged: _gateway_unplugged,
}
