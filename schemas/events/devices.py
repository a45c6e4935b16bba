"""The telematics device in the vehicle: activated, unplugged, reconnected, moved, updated.

ZF's unit pairing types (device.paired, device.pairing_failed, device.unpaired) live in
schemas/events/pairing.py.
"""

from __future__ import annotations

from schemas.canonical import Canonical
from schemas.events.common import VehicleStatusData


class Device(Canonical, frozen=True, kw_only=True):
    """The provider's device: `serial` is printed on the hardware, `id`/`key` are API ids."""

    id: str | None = None
    key: str | None = None
    serial: str | None = None


class Claim(Canonical, frozen=True, kw_only=True):
    """The provider's record of a device being claimed (activated) by an account."""

    id: str | None = None
    key: str | None = None


class DeviceEventData(VehicleStatusData, frozen=True, kw_only=True):
    """An event about a device; `vehicle` is the vehicle it is in, when the provider says."""

    device: Device


class DeviceActivated(DeviceEventData, frozen=True, kw_only=True):
    """device.activated."""

    claim: Claim | None = None


class DeviceUnplugged(DeviceEventData, frozen=True, kw_only=True):
    """device.unplugged."""


class DeviceReconnected(DeviceEventData, frozen=True, kw_only=True):
    """device.reconnected: `last_gasp_at` (RFC 3339 UTC) is the device's last report
    before it lost power."""

    last_gasp_at: str | None = None


class DeviceVehicleChanged(DeviceEventData, frozen=True, kw_only=True):
    """device.vehicle_changed: `vehicle` is the vehicle the device is in now."""


class DeviceUpdated(DeviceEventData, frozen=True, kw_only=True):
    """device.updated: the provider's record of a device and its vehicle as it now stands
    (first seen or changed), from a provider that reports its device list (Geotab's
    Device feed). `device_type` is the provider's name for the hardware (`GO9`, ...)."""

    device_type: str | None = None
