"""Which driver is with which vehicle: driver.vehicle.paired / driver.vehicle.unpaired."""

from __future__ import annotations

from schemas.canonical import Canonical
from schemas.events.common import AccountEventData


class Driver(Canonical, frozen=True, kw_only=True):
    """The driver as the provider identifies them (`id` is the provider's driver id)."""

    id: str
    name: str | None = None


class DriverVehicleAssignment(AccountEventData, frozen=True, kw_only=True):
    """A driver was paired with or unpaired from `vehicle`.

    `initiated_by` is the provider's id of the user or system that caused it;
    `generated_at` (RFC 3339 UTC) is when the provider built the message, which may be
    before the event's `time`.
    """

    driver: Driver
    initiated_by: str | None = None
    generated_at: str | None = None
