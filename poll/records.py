"""A feed page as raw records: one per entity, keyed `{typeName}:{id}`. Pure.

The value is the entity's JSON object, encoded once here (orjson of the decoded object:
the same entity always gives the same bytes). The key is stable per entity, so the
processors' de-duplication and the canonical ids stay deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from poll import headers

DEVICE = "Device"
# The fields that say when an entity of a type happened, by preference; `dateTime` for the
# others. A Device's dates say when it is in service, not when something happened.
TIME_FIELDS: dict[str, tuple[str, ...]] = {
    DEVICE: (),
    "Trip": ("stop", "start"),
    "ExceptionEvent": ("activeTo", "activeFrom"),
}


@dataclass(frozen=True, slots=True)
class RawOut:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class PageContext:
    """What every record of one page shares."""

    source: str
    provider: str
    type_name: str
    received_at: bytes
    request_id: bytes


def raw_records(
    page: PageContext, entities: Sequence[dict[str, Any]], vins: Mapping[str, str]
) -> list[RawOut]:
    common = [
        (headers.SOURCE, page.source.encode()),
        (headers.PROVIDER, page.provider.encode()),
        (headers.RECEIVED_AT, page.received_at),
        (headers.REQUEST_ID, page.request_id),
        (headers.CONTENT_TYPE, headers.JSON),
        (headers.GEOTAB_TYPE, page.type_name.encode()),
    ]
    out = []
    for entity in entities:
        value = orjson.dumps(entity)
        entity_headers = list(common)
        if page.type_name != DEVICE:
            vin = vins.get(device_id(entity) or "")
            if vin:
                entity_headers.append((headers.GEOTAB_DEVICE_VIN, vin.encode()))
        out.append(RawOut(entity_key(page.type_name, entity, value), value, entity_headers))
    return out


def entity_key(type_name: str, entity: dict[str, Any], value: bytes) -> bytes:
    """`{typeName}:{id}`; an entity without an id (never seen) by the digest of its body."""
    entity_id = entity.get("id")
    if isinstance(entity_id, str) and entity_id:
        return f"{type_name}:{entity_id}".encode()
    return f"{type_name}:sha256:{hashlib.sha256(value).hexdigest()}".encode()


def device_id(entity: dict[str, Any]) -> str | None:
    device = entity.get("device")
    found = device.get("id") if isinstance(device, dict) else None
    return found if isinstance(found, str) and found else None


def newest_time(type_name: str, entities: Iterable[dict[str, Any]]) -> float | None:
    """When the newest of these entities happened (epoch seconds); None if none says."""
    newest = None
    for entity in entities:
        moment = entity_time(type_name, entity)
        if moment is not None and (newest is None or moment > newest):
            newest = moment
    return newest


def entity_time(type_name: str, entity: dict[str, Any]) -> float | None:
    for name in TIME_FIELDS.get(type_name, ("dateTime",)):
        text = entity.get(name)
        if isinstance(text, str):
            try:
                return datetime.fromisoformat(text).timestamp()
            except ValueError:
                return None
    return None
