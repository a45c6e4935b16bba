"""The headers Geotab's poller puts on a raw record, for the Geotab samples.

Geotab's JSON does not name an entity's type, so each sample file is named after its
feed: `<typeName>[-<what>].json`, or `variant-<typeName>[-<what>].json`. The poller knows
the VINs of the devices it read from the Device feed; here that is the Device samples:
`geotab-device-vin` is the VIN of the entity's device among them, absent otherwise.
Each sample's `.headers` file beside it holds what `headers` gives for it (the golden
convention reads those; a test checks they agree).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.samples import valid_samples

PROVIDER = "geotab"


def feed_of(sample: Path) -> str:
    """The `typeName` of the feed a sample comes from, by its file name."""
    return sample.stem.removeprefix("variant-").split("-", 1)[0]


@cache
def _known_vins() -> dict[str, str]:
    vins: dict[str, str] = {}
    for path in valid_samples(PROVIDER):
        if feed_of(path) == "Device":
            device = json.loads(path.read_bytes())
            vins[device["id"]] = device.get("vehicleIdentificationNumber", "")
    return vins


def _device_id(entity: Any) -> str | None:
    device = entity.get("device") if isinstance(entity, dict) else None
    ident = device.get("id") if isinstance(device, dict) else device
    return ident if isinstance(ident, str) else None


def headers(feed: str, body: bytes) -> dict[str, str]:
    """What the poller would write for `body` from the feed `feed`."""
    sent = {"geotab-type": feed}
    vin = _known_vins().get(_device_id(json.loads(body)) or "") if feed != "Device" else None
    if vin:
        sent["geotab-device-vin"] = vin
    return sent
