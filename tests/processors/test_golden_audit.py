"""Every golden output says how much in one way (docs/normalization.md, "Audit").

Every number in `data` is in a field whose name says its unit, or that is stated beside
it, or is a count or scale-less figure. Where and when (a position anywhere is also
`data.location`; times are RFC 3339 UTC with `Z`, in fields named for times) hold for
every provider's events: the conformance suite checks them (providers/conformance/events.py,
tests/providers).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from providers.conformance.events import positions, walk
from schemas.vss import RELEASE_NAMES
from tests.support.golden import GOLDEN

FILES = sorted(GOLDEN.glob("*/*.json"))
EVENTS = [
    pytest.param(event, id=f"{path.parent.name}/{path.stem}[{index}]")
    for path in FILES
    for index, event in enumerate(json.loads(path.read_text()))
]

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


def test_a_number_without_a_unit_fails_the_audit() -> None:
    event = json.loads((GOLDEN / "zubie" / "trip_end.json").read_text())[0]
    event["data"]["trip"]["distance"] = 12.0
    with pytest.raises(AssertionError, match="distance"):
        test_every_number_says_its_unit(event)
