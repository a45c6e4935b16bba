"""ZF SCALAR Datahub asset-pairing webhooks (see tests/samples/zf-scalar).

One POST is a batch envelope whose `eventsData[]` holds events of mixed type and version.
The envelope keeps each event as raw JSON so that a batch is counted, and capped, before
any event in it is decoded, and so that each event is decoded by the struct of its own
type and version.

Fields the document marks required are required here; everything else is optional and
unknown fields are ignored. One deliberate exception: `registeredOn` is optional,
because the batch time is a sound fallback for it (see docs/normalization.md).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class Payload(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every ZF SCALAR struct; fields are the camelCase names of the document."""


class Batch(Payload, kw_only=True):
    event_batch_id: str
    event_subscription_id: str
    event_batch_time: str  # ISO 8601 UTC with 7 fractional digits
    events_data: list[msgspec.Raw]


class Item(Payload, kw_only=True):
    """One element of `eventsData`: the type and version decide how `eventData` reads."""

    event_type: str
    event_version: int
    event_data: msgspec.Raw


class LocationV1(Payload, kw_only=True):
    lat: Latitude
    lon: Longitude


class LocationV2(Payload, kw_only=True):
    latitude: Latitude
    longitude: Longitude


class Paired(Payload, kw_only=True):
    """`unit.paired` data common to both versions: success and failure alike."""

    registered_on: str | None = None
    organization_id: str
    unit_id: str  # <unit type>:<serial>
    status: str  # success | failed
    reason: str  # ManualPair | AutoPair | InvalidData | NotFound | MultipleMatchFound | Unknown
    asset_id: str | None = None  # present on success
    asset_vin: str | None = msgspec.field(default=None, name="assetVIN")
    sensor_vin: str | None = msgspec.field(default=None, name="sensorVIN")
    candidate_asset_ids: list[str] | None = None  # MultipleMatchFound only
    location: LocationV1 | LocationV2 | None = None  # each version narrows it to its own


class PairedV1(Paired, kw_only=True):
    location: LocationV1 | None = None


class PairedV2(Paired, kw_only=True):
    location: LocationV2 | None = None


class Unpaired(Payload, kw_only=True):
    """`unit.unpaired`. The document shows version 1 only; version 2 is read the same way."""

    registered_on: str | None = None
    organization_id: str
    asset_id: str
    unit_id: str
    asset_vin: str | None = msgspec.field(default=None, name="assetVIN")


BATCH = msgspec.json.Decoder(Batch)
ITEM = msgspec.json.Decoder(Item)
PAIRED_V1 = msgspec.json.Decoder(PairedV1)
PAIRED_V2 = msgspec.json.Decoder(PairedV2)
UNPAIRED = msgspec.json.Decoder(Unpaired)
