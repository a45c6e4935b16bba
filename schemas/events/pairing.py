"""Device pairing: a telematics unit attached to or detached from a vehicle or trailer.

Domain `devices`. The unit is `data.vehicle.device_id`, the asset it is paired with
`data.vehicle.asset_id`.
"""

from __future__ import annotations

from schemas.canonical import EventData, Location


class PairingEvent(EventData, frozen=True, kw_only=True):
    """device.paired / device.pairing_failed.

    `status` and `reason` are the provider's own words (ZF SCALAR: `success` / `failed`;
    `ManualPair`, `AutoPair`, `InvalidData`, `NotFound`, `MultipleMatchFound`, `Unknown`),
    kept because the type only says which of the two outcomes it was.
    """

    status: str
    reason: str | None = None
    organization_id: str | None = None
    registered_at: str | None = None
    candidate_asset_ids: tuple[str, ...] = ()
    location: Location | None = None


class UnpairingEvent(EventData, frozen=True, kw_only=True):
    """device.unpaired."""

    organization_id: str | None = None
    registered_at: str | None = None
