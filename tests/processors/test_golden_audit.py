"""Every golden output says where, when and how much in one way (docs/normalization.md, "Audit").

Where: a position anywhere in an event is also `data.location`, with the same values,
unless it is one of the few positions that describe another moment (a trip's endpoints).
When: `time`, `receivedtime` and every time in `data` are RFC 3339 UTC with milliseconds
and `Z`, in fields named for times. How much: every number in `data` is in a field whose
name says its unit, or that is stated beside it, or is a count or scale-less figure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from schemas.vss import RELEASE_NAMES
from tests.support.golden import GOLDEN

FILES = sorted(GOLDEN.glob("*/*.json"))
EVENTS = [
    pytest.param(event, id=f"{path.parent.name}/{path.stem}[{index}]")
    for path in FILES
    for index, event in enumerate(json.loads(path.read_text()))
]

LATITUDE_KEYS = frozenset({"latitude", "lat"})
LONGITUDE_KEYS = frozenset({"longitude", "lon", "lng", "long"})

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

UNIT_SUFFIXES = ("_km", "_kmh", "_kmh_per_s", "_s", "_percent", "_deg")
NAMED_WITH_UNIT = frozenset({"latitude", "longitude", "battery_voltage", "engine_rpm"})
# Counts, the provider's scale-less figures and money (its currency is beside it or
# documented as unknown): nothing to convert.
UNITLESS = frozenset(
    {
        "year",
        "severity",
        "gps_quality",
        "hard_brakes",
        "rapid_accelerations",
        "city_minor",
        "city_major",
        "highway_minor",
        "highway_major",
        "repair_cost_low",
        "repair_cost_high",
        "fuel_cost",
    }
)
NON_CANONICAL_UNITS = frozenset(
    {"mi", "mile", "miles", "mph", "mi/h", "m/s", "ft", "feet", "kph", "kmh", "kilometers"}
)
IMPERIAL_NAME = re.compile(r"(mile|mph|_mi$|feet|_ft$|fahrenheit|gallon)")


def walk(node: Any, path: str) -> Iterator[tuple[str, str, Any, dict[str, Any] | None]]:
    """(path, key, value, parent object) of every member of every object below `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}", key, value, node
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{path}[{index}]")


def positions(event: dict[str, Any]) -> Iterator[tuple[str, tuple[Any, Any]]]:
    """Every object that holds a latitude and a longitude, by any of their usual names."""
    objects = [("data", event["data"])]
    objects += [(path, value) for path, _, value, _ in walk(event["data"], "data")]
    for path, node in objects:
        if not isinstance(node, dict):
            continue
        latitude = [k for k in node if k in LATITUDE_KEYS or k.endswith("_latitude")]
        longitude = [k for k in node if k in LONGITUDE_KEYS or k.endswith("_longitude")]
        assert len(latitude) == len(longitude), f"{path}: half a position: {sorted(node)}"
        for lat_key, lon_key in zip(sorted(latitude), sorted(longitude), strict=True):
            yield path, (node[lat_key], node[lon_key])


@pytest.mark.parametrize("event", EVENTS)
def test_every_position_is_also_data_location(event: dict[str, Any]) -> None:
    location = event["data"].get("location")
    here = None if location is None else (location["latitude"], location["longitude"])
    for path, position in positions(event):
        if path == "data.location" or position == (None, None):
            continue
        if path in TRIP_ENDPOINTS:
            if ENDPOINT_OF_TYPE.get(event["type"]) == path:
                assert here is not None, f"{event['type']}: {path} is known, data.location is not"
            continue
        assert here == position, f"{path} is {position}, data.location is {here}"


@pytest.mark.parametrize("event", EVENTS)
def test_positions_are_named_latitude_and_longitude(event: dict[str, Any]) -> None:
    for path, key, _, _ in walk(event["data"], "data"):
        assert key not in {"lat", "lon", "lng", "long"}, f"{path}: say latitude / longitude"


@pytest.mark.parametrize("event", EVENTS)
def test_every_time_is_utc_with_z_in_a_field_named_for_a_time(event: dict[str, Any]) -> None:
    assert UTC_TIME.fullmatch(event["time"]), event["time"]
    assert UTC_TIME.fullmatch(event["receivedtime"]), event["receivedtime"]
    for path, key, value, _ in walk(event["data"], "data"):
        timed = key.endswith("_at") or key == "time"
        if timed:
            assert value is None or (isinstance(value, str) and UTC_TIME.fullmatch(value)), (
                f"{path}: {value!r} is not RFC 3339 UTC with milliseconds and Z"
            )
        elif isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
            raise AssertionError(f"{path}: {value!r} is a time in a field not named *_at")
        elif isinstance(value, str) and DATE.fullmatch(value):
            assert key.endswith("_date"), f"{path}: a date in a field not named *_date"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.parametrize("event", EVENTS)
def test_every_number_says_its_unit(event: dict[str, Any]) -> None:
    for path, key, value, parent in walk(event["data"], "data"):
        assert not IMPERIAL_NAME.search(key), f"{path}: an imperial unit in a canonical name"
        if not _is_number(value):
            continue
        if key == "value" and parent is not None and "unit" in parent:
            continue  # a signal or VSS value: its unit is stated beside it, checked below
        assert key.endswith(UNIT_SUFFIXES) or key in NAMED_WITH_UNIT | UNITLESS, (
            f"{path}: a number in a field whose name says no unit"
        )


@pytest.mark.parametrize("event", EVENTS)
def test_stated_units_are_canonical_and_vss_values_in_vss_units(event: dict[str, Any]) -> None:
    for path, key, value, parent in walk(event["data"], "data"):
        if key != "unit" or parent is None or value is None:
            continue
        if "path" in parent:  # a VSS value
            assert value == RELEASE_NAMES[parent["path"]].unit, f"{path}: not VSS's unit"
        else:
            assert value.strip().lower() not in NON_CANONICAL_UNITS, (
                f"{path}: {value!r}; distances are km and speeds km/h"
            )


def test_the_audit_sees_positions_times_and_numbers() -> None:
    """The walks find what they look for: a broken walk would pass every event vacuously."""
    every: list[dict[str, Any]] = [param.values[0] for param in EVENTS]  # type: ignore[misc]
    found = {path for event in every for path, _ in positions(event)}
    assert {"data.location", "data.status.location", "data.trip.end_location"} <= found
    assert any(p.endswith(".value") for p in found)  # Smartcar's location signal
    times = {
        key
        for event in every
        for _, key, _, _ in walk(event["data"], "data")
        if key.endswith("_at")
    }
    assert {"fetched_at", "oem_updated_at", "updated_at", "registered_at"} <= times


def test_a_position_outside_data_location_fails_the_audit() -> None:
    event = json.loads((GOLDEN / "telematica" / "vehicle.soc.json").read_text())[0]
    event["data"]["location"] = None
    with pytest.raises(AssertionError, match=r"data\.status\.location"):
        test_every_position_is_also_data_location(event)
    event["data"]["location"] = {"latitude": 0.0, "longitude": 0.0}
    with pytest.raises(AssertionError, match=r"data\.status\.location"):
        test_every_position_is_also_data_location(event)


def test_a_time_with_an_offset_or_a_number_without_a_unit_fails_the_audit() -> None:
    event = json.loads((GOLDEN / "zubie" / "trip_end.json").read_text())[0]
    event["data"]["trip"]["started_at"] = "2019-09-27T13:35:35-04:00"
    with pytest.raises(AssertionError, match="started_at"):
        test_every_time_is_utc_with_z_in_a_field_named_for_a_time(event)
    event = json.loads((GOLDEN / "zubie" / "trip_end.json").read_text())[0]
    event["data"]["trip"]["distance"] = 12.0
    with pytest.raises(AssertionError, match="distance"):
        test_every_number_says_its_unit(event)
