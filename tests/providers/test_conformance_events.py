"""The canonical event's contract as the suite checks it, one broken field at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from providers.builtin import TELEMATICA, ZUBIE
from providers.conformance.events import check_event, positions, walk
from providers.spec import Provider
from tests.support.golden import GOLDEN

Event = dict[str, Any]


def reviewed(provider: str, stem: str) -> Event:
    event: Event = json.loads((GOLDEN / provider / f"{stem}.json").read_text())[0]
    return event


def fails(provider: Provider, event: Event, match: str, *, reviewed: bool = True) -> None:
    with pytest.raises(AssertionError, match=match):
        check_event(provider, event, reviewed=reviewed)


def changed(event: Event, change: Callable[[Event], None]) -> Event:
    copy: Event = json.loads(json.dumps(event))
    change(copy)
    return copy


def test_reviewed_events_keep_the_contract() -> None:
    for stem in ("trip_end", "vehicle_location_update", "device_unplug"):
        check_event(ZUBIE, reviewed("zubie", stem))
    check_event(TELEMATICA, reviewed("telematica", "vehicle.soc"))


def test_a_position_outside_data_location_fails() -> None:
    event = reviewed("telematica", "vehicle.soc")
    fails(
        TELEMATICA,
        changed(event, lambda e: e["data"].update(location=None)),
        r"data\.status\.location",
    )
    elsewhere = changed(
        event, lambda e: e["data"].update(location={"latitude": 0.0, "longitude": 0.0})
    )
    fails(TELEMATICA, elsewhere, r"data\.status\.location")


def test_a_trip_event_without_the_position_it_reports_fails() -> None:
    event = reviewed("zubie", "trip_end")
    fails(ZUBIE, changed(event, lambda e: e["data"].update(location=None)), "end_location is known")


def test_a_short_position_name_fails() -> None:
    event = reviewed("zubie", "vehicle_location_update")

    def shorten(e: Event) -> None:
        e["data"]["location"]["lat"] = e["data"]["location"].pop("latitude")

    fails(ZUBIE, changed(event, shorten), "latitude / longitude|half a position")


def test_a_time_with_an_offset_or_in_a_field_not_named_for_it_fails() -> None:
    event = reviewed("zubie", "trip_end")
    offset = changed(
        event, lambda e: e["data"]["trip"].update(started_at="2019-09-27T13:35:35-04:00")
    )
    fails(ZUBIE, offset, "started_at")
    fails(ZUBIE, offset, "started_at", reviewed=False)
    fails(ZUBIE, changed(event, lambda e: e.update(time="2019-09-27T13:35:35Z")), "time ")
    hidden = changed(event, lambda e: e["data"]["trip"].update(end_address="2019-09-27T13:35"))
    fails(ZUBIE, hidden, "not named")
    check_event(ZUBIE, hidden, reviewed=False)  # arbitrary input may hold anything there


def test_data_that_does_not_read_back_as_its_type_fails() -> None:
    event = reviewed("zubie", "trip_end")
    fails(
        ZUBIE,
        changed(event, lambda e: e["data"]["trip"].update(distance_km="far")),
        "trip_end|Expected",
    )
    fails(ZUBIE, changed(event, lambda e: e["data"].pop("vehicle")), "vehicle")
    fails(ZUBIE, changed(event, lambda e: e.update(type="vehicle.gone")), "no such canonical type")
    fails(TELEMATICA, event, "provider is 'zubie'")


def test_a_subject_against_the_vin_rule_fails() -> None:
    with_vin = reviewed("zubie", "trip_end")
    assert with_vin["subject"].startswith("vin:")
    fails(ZUBIE, changed(with_vin, lambda e: e.update(subject="zubie:vehicle:1")), "the valid VIN")
    unjudged = changed(with_vin, lambda e: e["data"]["vehicle"].update(vin_valid=False))
    fails(ZUBIE, unjudged, "vin_valid")
    by_key = reviewed("zubie", "device_reconnect")
    assert not by_key["subject"].startswith("vin:")
    fails(ZUBIE, changed(by_key, lambda e: e.update(subject="vin:5FNRL38249B044393")), "subject")
    fails(ZUBIE, changed(by_key, lambda e: e.update(subject="other:device:1")), "zubie:KIND:ID")


def test_the_walks_see_positions_and_times() -> None:
    """A broken walk would pass every event vacuously."""
    every = [event for path in GOLDEN.glob("*/*.json") for event in json.loads(path.read_text())]
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
