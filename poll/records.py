"""A feed page as raw records: one per entity, keyed `{typeName}:{id}[:{version}]`. Pure.

The value is the entity's JSON object, encoded once here (orjson of the decoded object:
the same entity always gives the same bytes). The key is stable per entity version, so
the processors' de-duplication and the canonical ids stay deterministic: an entity read
again (a page repeated after a failure) is the same delivery, while an entity Geotab
changed in place, keeping its id and raising its `version` (an ExceptionEvent in
progress, a Device edited, an HOS log), is a new one, and is not suppressed as a retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from fleetwire import envelope
from schemas import geotab

JSON = b"application/json"
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
        *envelope.identity(page.source, page.provider),
        (envelope.RECEIVED_AT, page.received_at),
        (envelope.REQUEST_ID, page.request_id),
        (envelope.CONTENT_TYPE, JSON),
        (geotab.TYPE_HEADER, page.type_name.encode()),
    ]
    out = []
    for entity in entities:
        value = orjson.dumps(entity)
        entity_headers = list(common)
        if page.type_name != DEVICE:
            vin = vins.get(device_id(entity) or "")
            if vin:
                entity_headers.append((geotab.DEVICE_VIN_HEADER, vin.encode()))
        out.append(RawOut(entity_key(page.type_name, entity, value), value, entity_headers))
    return out


def entity_key(type_name: str, entity: dict[str, Any], value: bytes) -> bytes:
    """`{typeName}:{id}`, with `:{version}` where the entity has one; an entity without an
    id (never seen) by the digest of its body."""
    entity_id = entity.get("id")
    if isinstance(entity_id, str) and entity_id:
        version = entity.get("version")
        if isinstance(version, str) and version:
            return f"{type_name}:{entity_id}:{version}".encode()
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
