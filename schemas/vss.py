"""Vehicle signals in COVESA Vehicle Signal Specification (VSS) terms: one table, one function.

Telematics aggregators converge on VSS (AWS IoT FleetWise imports VSS catalogs, DIMO
publishes VSS-named events, Eclipse KUKSA serves VSS), so every reading that has a VSS
counterpart also goes out under its VSS path, in VSS units, beside fleetwire's own
fields (`vss` lists of `{path, value, unit}`; docs/normalization.md, "VSS names").

Pinned release: VSS 5.0 (tag `v5.0`, commit f23ba53be78a8bf2b8df2496bbfccb2860913892 of
github.com/COVESA/vehicle_signal_specification). `RELEASE_NAMES` records, for every path
used here, the unit and datatype the release gives it and the .vspec file it comes from;
nothing else of the specification is copied. A path with an instance
(`ChargingPort.AnyPosition`) is written expanded, as VSS tools do.

Pure data and a pure function: no I/O, no state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from schemas.events.common import VssValue

RELEASE = "5.0"
RELEASE_TAG = "v5.0"
RELEASE_COMMIT = "f23ba53be78a8bf2b8df2496bbfccb2860913892"


@dataclass(frozen=True)
class SpecName:
    """A signal as the pinned release defines it: its unit (None: unitless) and datatype."""

    unit: str | None
    datatype: str
    vspec: str  # the file of the release that defines it, under spec/


RELEASE_NAMES: dict[str, SpecName] = {
    "Vehicle.CurrentLocation.Latitude": SpecName("degrees", "double", "Vehicle/Vehicle.vspec"),
    "Vehicle.CurrentLocation.Longitude": SpecName("degrees", "double", "Vehicle/Vehicle.vspec"),
    "Vehicle.CurrentLocation.Heading": SpecName("degrees", "double", "Vehicle/Vehicle.vspec"),
    "Vehicle.TraveledDistance": SpecName("km", "float", "Vehicle/Vehicle.vspec"),
    "Vehicle.LowVoltageBattery.CurrentVoltage": SpecName("V", "float", "Vehicle/Battery.vspec"),
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": SpecName(
        "percent", "float", "Powertrain/TractionBattery.vspec"
    ),
    "Vehicle.Powertrain.TractionBattery.Range": SpecName(
        "m", "uint32", "Powertrain/TractionBattery.vspec"
    ),
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": SpecName(
        None, "boolean", "Powertrain/TractionBattery.vspec"
    ),
    "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition"
    ".IsChargingCableConnected": SpecName(None, "boolean", "Powertrain/TractionBattery.vspec"),
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": SpecName(
        "percent", "uint8", "Powertrain/FuelSystem.vspec"
    ),
    "Vehicle.Powertrain.FuelSystem.AbsoluteLevel": SpecName(
        "l", "float", "Powertrain/FuelSystem.vspec"
    ),
    "Vehicle.Powertrain.FuelSystem.Range": SpecName("m", "uint32", "Powertrain/FuelSystem.vspec"),
}


@dataclass(frozen=True)
class Target:
    """Where one reading goes in VSS.

    `unit` is the unit the reading has in the canonical event when the event does not say
    (a field named `*_km` is km); a Smartcar signal carries its own. `key` picks one member
    of an object value (a position's `latitude`).
    """

    path: str
    unit: str | None = None
    key: str | None = None


def _smartcar(code: str) -> str:
    return f"smartcar:{code}"


# Reading to VSS. A reading is a Smartcar signal code (`smartcar:{code}`) or a canonical
# field, named as it is in `data` (the same field means the same thing whoever sent it).
MAPPING: dict[str, tuple[Target, ...]] = {
    _smartcar("tractionbattery-stateofcharge"): (
        Target("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"),
    ),
    _smartcar("tractionbattery-range"): (Target("Vehicle.Powertrain.TractionBattery.Range"),),
    _smartcar("charge-ischarging"): (
        Target("Vehicle.Powertrain.TractionBattery.Charging.IsCharging"),
    ),
    _smartcar("odometer-traveleddistance"): (Target("Vehicle.TraveledDistance"),),
    _smartcar("internalcombustionengine-fuellevel"): (
        Target("Vehicle.Powertrain.FuelSystem.RelativeLevel"),
    ),
    _smartcar("internalcombustionengine-amountremaining"): (
        Target("Vehicle.Powertrain.FuelSystem.AbsoluteLevel"),
    ),
    _smartcar("internalcombustionengine-range"): (Target("Vehicle.Powertrain.FuelSystem.Range"),),
    _smartcar("location-preciselocation"): (
        Target("Vehicle.CurrentLocation.Latitude", "degrees", key="latitude"),
        Target("Vehicle.CurrentLocation.Longitude", "degrees", key="longitude"),
        Target("Vehicle.CurrentLocation.Heading", "degrees", key="heading"),
    ),
    "soc_percent": (Target("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", "percent"),),
    "range_km": (Target("Vehicle.Powertrain.TractionBattery.Range", "km"),),
    "is_charging": (Target("Vehicle.Powertrain.TractionBattery.Charging.IsCharging"),),
    "is_plugged": (
        Target(
            "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition"
            ".IsChargingCableConnected"
        ),
    ),
    "odometer_km": (Target("Vehicle.TraveledDistance", "km"),),
    "fuel_level_percent": (Target("Vehicle.Powertrain.FuelSystem.RelativeLevel", "percent"),),
    "battery_voltage": (Target("Vehicle.LowVoltageBattery.CurrentVoltage", "V"),),
}

US_GALLON_L = 3.785411784

# Unit strings as canonical events carry them (lowercased) to VSS's unit names.
_UNIT_ALIASES: dict[str, str] = {
    **dict.fromkeys(("percent", "%"), "percent"),
    **{name: name for name in ("km", "m", "degrees", "l", "km/h")},
    "kmh": "km/h",
    **dict.fromkeys(("v", "volt", "volts"), "V"),
    **dict.fromkeys(("liter", "liters", "litre", "litres"), "l"),
    **dict.fromkeys(("gallon", "gallons", "gal"), "gal"),  # US gallons: Smartcar is US-based
}
_FACTORS: dict[tuple[str, str], float] = {
    ("km", "m"): 1000.0,
    ("gal", "l"): US_GALLON_L,
}
_INTEGER_TYPES = frozenset({"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32"})


def vss_unit(unit: str) -> str:
    """`unit` as VSS names it (`volts` is `V`); unknown units are returned as given."""
    return _UNIT_ALIASES.get(unit.strip().lower(), unit.strip())


def convert(value: float, unit: str, to: str) -> float | None:
    """`value` in `unit` as `to` (both VSS unit names); None when fleetwire knows no factor."""
    if unit == to:
        return value
    factor = _FACTORS.get((unit, to))
    return None if factor is None else round(value * factor, 3)


def vss_values(reading: str, value: Any, unit: str | None = None) -> tuple[VssValue, ...]:
    """The VSS values of one reading: empty when it has no VSS counterpart or no value.

    `unit` is the reading's unit where the event states it (a Smartcar signal's `unit`);
    otherwise the table's. A number whose unit cannot be converted to the VSS unit is left
    out rather than published in the wrong unit.
    """
    if value is None:
        return ()  # most readings are absent from most events
    values = []
    for target in _RESOLVED.get(reading, ()):
        converted = _in_vss_units(_member(value, target.key), unit or target.unit, target)
        if converted is not None:
            values.append(VssValue(path=target.path, value=converted, unit=target.vss_unit))
    return tuple(values)


@dataclass(frozen=True)
class _Resolved:
    """A target with its release name looked up once, not once per reading."""

    path: str
    unit: str | None
    key: str | None
    vss_unit: str | None
    boolean: bool
    integer: bool


_RESOLVED: dict[str, tuple[_Resolved, ...]] = {
    reading: tuple(
        _Resolved(
            path=target.path,
            unit=target.unit,
            key=target.key,
            vss_unit=RELEASE_NAMES[target.path].unit,
            boolean=RELEASE_NAMES[target.path].datatype == "boolean",
            integer=RELEASE_NAMES[target.path].datatype in _INTEGER_TYPES,
        )
        for target in targets
    )
    for reading, targets in MAPPING.items()
}


def _member(value: Any, key: str | None) -> Any:
    if key is None:
        return value
    return value.get(key) if isinstance(value, dict) else None


def _in_vss_units(value: Any, unit: str | None, target: _Resolved) -> Any:
    if target.boolean:
        return value if isinstance(value, bool) else None
    # A number of unknown unit is not guessed at; neither is a unitless VSS number.
    if not _is_number(value) or unit is None or target.vss_unit is None:
        return None
    try:
        converted = convert(float(value), _vss_unit(unit), target.vss_unit)
    except OverflowError:  # an integer beyond any float: no VSS value, the reading stays
        return None
    if converted is None or not math.isfinite(converted):
        return None
    # VSS gives ranges and levels integer datatypes (metres, whole percent): round to them.
    return round(converted) if target.integer else converted


# The few unit strings providers send, looked up once each.
_vss_unit = lru_cache(maxsize=256)(vss_unit)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
