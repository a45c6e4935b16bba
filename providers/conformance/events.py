"""The contract every canonical event keeps, checked on the event as written (JSON).

- It reads back as its type: the envelope as `CanonicalEvent`, `data` as the type's
  struct (from which its published JSON Schema, `dataschema`, is generated), and nothing
  is lost on the way.
- Where: a position anywhere in `data` is also `data.location`, with the same values,
  unless it describes another moment (a trip's endpoints). Positions are named
  `latitude` / `longitude`.
- When: `time`, `receivedtime` and every time in `data` are RFC 3339 UTC with
  milliseconds and `Z`, in fields named for times (`*_at`, `time`).
- Who: `subject` is `vin:{VIN}` with a valid VIN, else `{provider}:{kind}:{id}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import msgspec

from processors.vin import is_valid_vin
from providers.spec import Provider
from schemas.canonical import CanonicalEvent
from schemas.catalog import EVENT_TYPES
from schemas.jsonschema import SCHEMA_DIR

Event = dict[str, Any]

LATITUDE_KEYS = frozenset({"latitude", "lat"})
LONGITUDE_KEYS = frozenset({"longitude", "lon", "lng", "long"})
SHORT_NAMES = frozenset({"lat", "lon", "lng", "long"})
# Positions that are not where the vehicle was at `time`: where a trip began and ended.
# A trip.tagged event is hours after the trip; a harsh braking happens mid-trip.
TRIP_ENDPOINTS = frozenset({"data.trip.start_location", "data.trip.end_location"})
# ... except at the moment the event reports: then the vehicle's position must be known.
ENDPOINT_OF_TYPE = {
    "vehicle.trip.started": "data.trip.start_location",
    "vehicle.trip.ended": "data.trip.end_location",
}

UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FALLBACK_SUBJECT = r"{provider}:[a-z][a-z0-9_]*:.+"


def walk(node: Any, path: str) -> Iterator[tuple[str, str, Any, dict[str, Any] | None]]:
    """(path, key, value, parent object) of every member of every object below `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}", key, value, node
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{path}[{index}]")


def positions(event: Event) -> Iterator[tuple[str, tuple[Any, Any]]]:
    """Every object in `data` that holds a latitude and a longitude, by any usual names."""
    objects = [("data", event["data"])]
    objects += [(path, value) for path, _, value, _ in walk(event["data"], "data")]
    for path, node in objects:
        if not isinstance(node, dict):
            continue
        latitude = [k for k in node if k in LATITUDE_KEYS or k.endswith("_latitude")]
        longitude = [k for k in node if k in LONGITUDE_KEYS or k.endswith("_longitude")]
        if len(latitude) != len(longitude):
            raise AssertionError(f"{path}: half a position: {sorted(node)}")
        for lat_key, lon_key in zip(sorted(latitude), sorted(longitude), strict=True):
            yield path, (node[lat_key], node[lon_key])


def check_event(provider: Provider, event: Event, *, reviewed: bool = True) -> None:
    """AssertionError, naming the provider, the event and the field, if `event` breaks the
    contract.

    `reviewed=False`, for events made of arbitrary input, leaves out what only holds of
    meaningful input (where a position is, which fields hold times): a driver id may be
    anything, a date among them.
    """
    where = f"{provider.name}: {event.get('type')} event {event.get('id')}"
    # Reading back last: the others name the field at fault more precisely.
    checks = (
        (_times, _location, _names, _subject, _reads_back)
        if reviewed
        else (_times, _subject, _reads_back)
    )
    for check in checks:
        try:
            check(provider, event)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None
        except (KeyError, TypeError, ValueError, msgspec.ValidationError) as exc:
            raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from None


def _reads_back(provider: Provider, event: Event) -> None:
    event_type = EVENT_TYPES.get(event["type"])
    if event_type is None:
        raise AssertionError("no such canonical type in schemas/catalog.py")
    envelope = msgspec.convert({**event, "data": {"vehicle": {}}}, CanonicalEvent)
    if envelope.provider != provider.name:
        raise AssertionError(f"provider is {envelope.provider!r}")
    if envelope.dataschema != event_type.schema_url:
        raise AssertionError(f"dataschema is {envelope.dataschema}, not {event_type.schema_url}")
    if not (SCHEMA_DIR / event_type.schema_file).exists():
        raise AssertionError(f"no published schema {event_type.schema_file}")
    data = msgspec.json.decode(json.dumps(event["data"]), type=event_type.data)
    again = json.loads(msgspec.json.encode(data))
    if again != event["data"]:
        raise AssertionError(f"data does not read back as {event_type.data.__name__}")


def _location(provider: Provider, event: Event) -> None:
    for path, key, _, _ in walk(event["data"], "data"):
        if key in SHORT_NAMES:
            raise AssertionError(f"{path}: say latitude / longitude")
    location = event["data"].get("location")
    here = None if location is None else (location["latitude"], location["longitude"])
    for path, position in positions(event):
        if path == "data.location" or position == (None, None):
            continue
        if path in TRIP_ENDPOINTS:
            if ENDPOINT_OF_TYPE.get(event["type"]) == path and here is None:
                raise AssertionError(f"{path} is known, data.location is not")
            continue
        if here != position:
            raise AssertionError(f"{path} is {position}, data.location is {here}")


def _times(provider: Provider, event: Event) -> None:
    for name in ("time", "receivedtime"):
        if not UTC_TIME.fullmatch(str(event[name])):
            raise AssertionError(f"{name} {event[name]!r} is not RFC 3339 UTC with ms and Z")
    for path, key, value, _ in walk(event["data"], "data"):
        timed = key.endswith("_at") or key == "time"
        if (
            timed
            and value is not None
            and not (isinstance(value, str) and UTC_TIME.fullmatch(value))
        ):
            raise AssertionError(f"{path}: {value!r} is not RFC 3339 UTC with ms and Z")


def _names(provider: Provider, event: Event) -> None:
    """Times and dates are in fields named for them."""
    for path, key, value, _ in walk(event["data"], "data"):
        if key.endswith("_at") or key == "time":
            continue
        if isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
            raise AssertionError(f"{path}: {value!r} is a time in a field not named *_at")
        if isinstance(value, str) and DATE.fullmatch(value) and not key.endswith("_date"):
            raise AssertionError(f"{path}: a date in a field not named *_date")


def _subject(provider: Provider, event: Event) -> None:
    subject = str(event["subject"])
    vehicle = event["data"]["vehicle"]
    vin = vehicle.get("vin")
    valid = isinstance(vin, str) and is_valid_vin(vin)
    if bool(vehicle.get("vin_valid")) != valid:
        raise AssertionError(
            f"data.vehicle.vin_valid is {vehicle.get('vin_valid')} for VIN {vin!r}; "
            "it says whether the VIN passes the VIN rule"
        )
    if valid:
        if subject != f"vin:{vin}":
            raise AssertionError(f"subject {subject!r}, but the valid VIN {vin} is known")
        return
    pattern = FALLBACK_SUBJECT.format(provider=re.escape(provider.name))
    if subject.startswith("vin:") or not re.fullmatch(pattern, subject, re.DOTALL):
        raise AssertionError(
            f"subject {subject!r}: without a valid VIN in data.vehicle.vin it is "
            f"{provider.name}:KIND:ID"
        )
