"""Vehicle state reports: every signal a provider reported, each with its own times.

Domain `state`.
"""

from __future__ import annotations

from typing import Any

from schemas.canonical import Canonical, EventData, Location
from schemas.events.common import VssValue


class SignalRef(Canonical, frozen=True, kw_only=True):
    """A signal named without its value (in triggers and errors)."""

    code: str
    name: str | None = None
    group: str | None = None


class SignalError(Canonical, frozen=True, kw_only=True):
    """Why a signal has no value (e.g. `VEHICLE_NOT_CAPABLE` / `COMPATIBILITY`)."""

    code: str | None = None
    type: str | None = None


class Signal(Canonical, frozen=True, kw_only=True):
    """One signal, normalized.

    `value` is the provider's `value` when its body has one, else the whole body object
    (a location's `{latitude, longitude}`, for instance). Distances are km and speeds
    km/h; other units are kept as reported. A signal that failed has `error` and no value.
    `vss` is the same reading under its VSS paths and units (a position gives two paths,
    latitude and longitude), empty when it has no VSS counterpart.
    """

    code: str
    name: str | None = None
    group: str | None = None
    value: Any = None
    unit: str | None = None
    error: SignalError | None = None
    oem_updated_at: str | None = None
    fetched_at: str | None = None
    vss: tuple[VssValue, ...] = ()


class Trigger(Canonical, frozen=True, kw_only=True):
    """Why the report was sent: `SIGNAL_UPDATED` (with the signal) or `FIRST_DELIVERY`."""

    type: str
    signal: SignalRef | None = None


class StateReport(EventData, frozen=True, kw_only=True):
    """vehicle.state.reported: a snapshot of every subscribed signal, not only changes."""

    signals: tuple[Signal, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    first_delivery: bool = False
    user_id: str | None = None
    mode: str | None = None  # the provider's delivery mode, e.g. LIVE or TEST
    location: Location | None = None
