"""Connectivity: a vehicle linked to or unlinked from an account, or its data link failing.

Domain `connectivity`.
"""

from __future__ import annotations

from schemas.canonical import Canonical, EventData
from schemas.events.state import SignalRef


class ConnectionEvent(EventData, frozen=True, kw_only=True):
    """vehicle.connected / vehicle.disconnected: one event per vehicle."""

    user_id: str | None = None
    device_type: str | None = None
    engine_type: str | None = None
    country: str | None = None


class VehicleError(Canonical, frozen=True, kw_only=True):
    """One error of a provider's connection to a vehicle, in the provider's own terms."""

    type: str | None = None
    code: str | None = None
    state: str | None = None
    description: str | None = None
    suggested_user_message: str | None = None
    doc_url: str | None = None
    resolution: str | None = None
    signals: tuple[SignalRef, ...] = ()


class ConnectionErrorEvent(EventData, frozen=True, kw_only=True):
    """vehicle.connection.failed / vehicle.connection.restored: one event per error."""

    error: VehicleError
    user_id: str | None = None
    mode: str | None = None
