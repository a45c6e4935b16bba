"""Azuga to canonical (docs/normalization.md, "Azuga").

Time: `eventInfo.eventTime` (epoch ms, when the pairing happened), not `time` (when the
message was built, which can be earlier); it is kept as `data.generated_at`. Azuga sends
no VIN: the subject is `azuga:vehicle:{entityId}`.
"""

from __future__ import annotations

from collections.abc import Callable

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import epoch_ms_utc
from schemas import azuga as a
from schemas import canonical as c
from schemas.events import assignments

PROVIDER = "azuga"
PAIRING_TYPES = {"pair": "driver.vehicle.paired", "unpair": "driver.vehicle.unpaired"}

Handler = Callable[[RawRecord], c.CanonicalEvent]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    message_type = event.decode(a.ENVELOPE, record.body, "azuga body").message_type
    handler = HANDLERS.get(message_type)
    if handler is None:
        raise event.unsupported("azuga messageType", message_type)
    return [handler(record)]


def _vehicle_pairing(record: RawRecord) -> c.CanonicalEvent:
    body = event.decode(a.VEHICLE_PAIRING, record.body, "azuga VEHICLE_PAIRING")
    ce_type = PAIRING_TYPES.get(body.action.strip().lower())
    if ce_type is None:
        raise RejectedRecord(
            "unsupported-event",
            f"azuga VEHICLE_PAIRING action {body.action!r} is not supported (Pair, Unpair)",
        )
    info = body.event_info
    vehicle = event.vehicle(provider_id=body.entity_id, name=body.entity_name)
    data = assignments.DriverVehicleAssignment(
        vehicle=vehicle,
        account_id=None if body.customer_id is None else str(body.customer_id),
        driver=assignments.Driver(id=info.driver_id, name=info.name),
        initiated_by=info.action_by,
        generated_at=None if body.time is None else epoch_ms_utc(body.time, "time"),
    )
    return event.build(
        record,
        index=0,
        ce_type=ce_type,
        time=epoch_ms_utc(info.event_time, "eventInfo.eventTime"),
        subject=event.subject(PROVIDER, vehicle, "vehicle", body.entity_id),
        provider_event_type=body.message_type,
        data=data,
    )


HANDLERS: dict[str, Handler] = {
    "VEHICLE_PAIRING": _vehicle_pairing,
}
