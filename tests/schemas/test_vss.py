"""The VSS table names only paths of the pinned release, in its units, and converts right."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import vss
from schemas.events.common import VssValue
from tests.support.golden import GOLDEN

VSS_PATH = re.compile(r"Vehicle(\.[A-Z][A-Za-z0-9]*)+")
finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
percent = st.floats(min_value=0, max_value=100, allow_nan=False)


def test_release_is_pinned() -> None:
    assert vss.RELEASE == "5.0"
    assert vss.RELEASE_TAG == "v5.0"
    assert re.fullmatch(r"[0-9a-f]{40}", vss.RELEASE_COMMIT)


@pytest.mark.parametrize("reading", vss.MAPPING)
def test_every_mapped_path_is_a_name_of_the_pinned_release(reading: str) -> None:
    for target in vss.MAPPING[reading]:
        assert target.path in vss.RELEASE_NAMES, f"{reading}: {target.path} is not in VSS 5.0"


def test_every_recorded_name_is_used_and_well_formed() -> None:
    used = {target.path for targets in vss.MAPPING.values() for target in targets}
    assert used == set(vss.RELEASE_NAMES)
    for path, name in vss.RELEASE_NAMES.items():
        assert VSS_PATH.fullmatch(path), path
        assert name.vspec.endswith(".vspec")
        assert (name.unit is None) == (name.datatype == "boolean"), path


@given(km=st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_a_range_in_km_is_whole_metres(km: float) -> None:
    [value] = vss.vss_values("range_km", km)
    assert value.path == "Vehicle.Powertrain.TractionBattery.Range"
    assert value.unit == "m"
    assert isinstance(value.value, int)
    assert abs(value.value - km * 1000) <= 0.5 + 1e-9 * km * 1000


@given(km=finite)
def test_an_odometer_in_km_stays_km(km: float) -> None:
    assert vss.vss_values("odometer_km", km) == (
        VssValue(path="Vehicle.TraveledDistance", value=km, unit="km"),
    )


@given(level=percent)
def test_a_fuel_level_is_whole_percent_and_soc_keeps_its_fraction(level: float) -> None:
    [fuel] = vss.vss_values("fuel_level_percent", level)
    assert fuel.value == round(level)
    assert isinstance(fuel.value, int)
    [soc] = vss.vss_values("soc_percent", level)
    assert soc.value == level
    assert soc.unit == "percent"


@given(
    gallons=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    unit=st.sampled_from(["gallons", "Gallons", " gal "]),
)
def test_smartcar_fuel_in_us_gallons_becomes_litres(gallons: float, unit: str) -> None:
    [value] = vss.vss_values("smartcar:internalcombustionengine-amountremaining", gallons, unit)
    assert value.unit == "l"
    assert math.isclose(value.value, gallons * vss.US_GALLON_L, abs_tol=1e-3)


@given(volts=finite, unit=st.sampled_from(["V", "v", "volts"]))
def test_a_voltage_in_volts_is_vss_volts(volts: float, unit: str) -> None:
    assert vss.vss_values("battery_voltage", volts, unit) == (
        VssValue(path="Vehicle.LowVoltageBattery.CurrentVoltage", value=volts, unit="V"),
    )


@given(value=finite, unit=st.sampled_from(["furlongs", "kWh", "mi", "psi"]))
def test_a_number_in_a_unit_without_a_known_factor_is_left_out(value: float, unit: str) -> None:
    assert vss.vss_values("smartcar:tractionbattery-range", value, unit) == ()


@given(value=st.one_of(st.none(), st.text(), st.booleans(), st.lists(st.integers())))
def test_what_is_not_a_number_gives_no_numeric_vss_value(value: object) -> None:
    assert vss.vss_values("odometer_km", value) == ()


@given(flag=st.booleans())
def test_booleans_map_to_boolean_signals_only(flag: bool) -> None:
    [value] = vss.vss_values("smartcar:charge-ischarging", flag)
    assert value == VssValue(
        path="Vehicle.Powertrain.TractionBattery.Charging.IsCharging", value=flag, unit=None
    )
    assert vss.vss_values("smartcar:charge-ischarging", 1) == ()


@given(
    latitude=st.floats(min_value=-90, max_value=90),
    longitude=st.floats(min_value=-180, max_value=180),
)
def test_a_position_gives_latitude_and_longitude(latitude: float, longitude: float) -> None:
    values = vss.vss_values(
        "smartcar:location-preciselocation", {"latitude": latitude, "longitude": longitude}
    )
    assert values == (
        VssValue(path="Vehicle.CurrentLocation.Latitude", value=latitude, unit="degrees"),
        VssValue(path="Vehicle.CurrentLocation.Longitude", value=longitude, unit="degrees"),
    )


def test_an_unknown_reading_has_no_vss_name() -> None:
    assert vss.vss_values("smartcar:closure-islocked", True) == ()
    assert vss.vss_values("heading_deg", 90.0) == ()


def test_an_integer_beyond_any_float_is_left_out() -> None:
    assert vss.vss_values("smartcar:odometer-traveleddistance", 10**400, "km") == ()


def golden_events(provider: str) -> list[dict[str, object]]:
    return [
        e for p in sorted((GOLDEN / provider).glob("*.json")) for e in json.loads(p.read_text())
    ]


def test_every_mapped_smartcar_signal_with_a_value_carries_its_vss_values() -> None:
    seen = 0
    for event in golden_events("smartcar"):
        data = event["data"]
        assert isinstance(data, dict)
        for signal in data.get("signals", ()):
            expected = vss.vss_values(f"smartcar:{signal['code']}", signal["value"], signal["unit"])
            got = tuple(VssValue(**item) for item in signal["vss"])
            assert got == expected
            seen += bool(got)
    assert seen > 0


def test_the_soc_an_event_reports_is_the_vss_state_of_charge() -> None:
    [event] = json.loads((GOLDEN / "telematica" / "vehicle.soc.json").read_text())
    data = event["data"]
    assert event["type"] == "vehicle.battery.soc_reached"
    paths = [item["path"] for item in data["vss"]]
    assert len(paths) == len(set(paths))
    soc = next(i for i in data["vss"] if i["path"].endswith("StateOfCharge.Current"))
    assert soc["value"] == data["soc_percent"]
