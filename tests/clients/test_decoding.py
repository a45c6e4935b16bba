"""decode(): every golden output to its typed struct; unknown types, newer fields, bad input."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire_events import TYPES, DecodeError, Event, EventData, decode, is_typed
from fleetwire_events.events.trips import TripEvent
from tests.support.golden import GOLDEN

FILES = sorted(GOLDEN.glob("*/*.json"))
EVENTS = [
    pytest.param(event, id=f"{path.parent.name}/{path.stem}/{n}")
    for path in FILES
    for n, event in enumerate(json.loads(path.read_text()))
]
TRIP = json.loads((GOLDEN / "zubie" / "trip_end.json").read_text())[0]


def as_json(value: Any) -> Any:
    return json.loads(msgspec.json.encode(value))


def test_the_golden_files_cover_every_type() -> None:
    assert {e.values[0]["type"] for e in EVENTS} == set(TYPES)


@pytest.mark.parametrize("event", EVENTS)
def test_every_golden_event_decodes_to_its_types_struct_losslessly(event: dict[str, Any]) -> None:
    decoded = decode(json.dumps(event).encode())
    assert type(decoded.data) is TYPES[event["type"]].data
    assert is_typed(decoded)
    # Every attribute and field came through: encoding it again gives the same document.
    assert as_json(decoded) == event


def test_the_struct_is_usable_as_such() -> None:
    event = decode(json.dumps(TRIP).encode())
    assert isinstance(event.data, TripEvent)
    assert event.data.trip.distance_km == TRIP["data"]["trip"]["distance_km"]
    assert event.traceparent == TRIP["traceparent"]
    with pytest.raises(AttributeError):
        event.data.trip.distance_km = 0  # type: ignore[misc]  # frozen


def test_an_unknown_type_decodes_with_its_data_as_plain_json() -> None:
    future = {**TRIP, "type": "vehicle.teleported", "data": {"to": "Mars", "vehicle": {}}}
    event = decode(json.dumps(future).encode())
    assert event.type == "vehicle.teleported"
    assert event.data == {"to": "Mars", "vehicle": {}}
    assert not is_typed(event)


def test_another_version_of_a_known_type_decodes_as_plain_json() -> None:
    v2 = {**TRIP, "dataschema": TRIP["dataschema"].replace(".v1.json", ".v2.json")}
    v2["data"] = {**TRIP["data"], "trip": "now a string"}
    event = decode(json.dumps(v2).encode())
    assert event.data["trip"] == "now a string"


def test_a_newer_minor_version_with_extra_fields_decodes_to_the_struct() -> None:
    newer = {**TRIP, "newattribute": {"x": 1}}
    newer["data"] = {**TRIP["data"], "new_field": [1, 2], "vehicle": {"new_id": "x", "vin": "V"}}
    newer["data"]["trip"] = {**TRIP["data"]["trip"], "co2_kg": 1.5}
    event = decode(json.dumps(newer).encode())
    assert isinstance(event.data, TripEvent)
    assert event.data.trip.distance_km == TRIP["data"]["trip"]["distance_km"]
    assert event.data.vehicle.vin == "V"


def test_an_event_written_before_traces_decodes_without_one() -> None:
    older = {k: v for k, v in TRIP.items() if k != "traceparent"}
    assert decode(json.dumps(older).encode()).traceparent is None


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (b"", "not a canonical event"),
        (b"not json", "not a canonical event"),
        (b"[]", "not a canonical event"),
        (b'{"type": "vehicle.trip.ended"}', "missing required field"),
        (json.dumps({**TRIP, "id": 7}).encode(), "$.id"),
        (json.dumps({**TRIP, "specversion": "0.3"}).encode(), "$.specversion"),
        (json.dumps({**TRIP, "data": {**TRIP["data"], "trip": 3}}).encode(), "$.data.trip"),
        (json.dumps({**TRIP, "data": None}).encode(), "$.data"),
        (
            json.dumps(TRIP).encode().replace(b'"/fleetwire/', b'"/fleet\xffwire/'),
            "not a canonical event",
        ),
        (b"[" * 100_000, "not a canonical event"),
    ],
)
def test_bad_input_raises_the_one_documented_error(value: bytes, names: str) -> None:
    with pytest.raises(DecodeError, match=names.replace("$", r"\$")):
        decode(value)


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_decode_error(value: bytes) -> None:
    try:
        event = decode(value)
    except DecodeError:
        return
    assert isinstance(event, Event)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.sampled_from([e.values[0] for e in EVENTS]),
    st.dictionaries(st.text(min_size=1, max_size=8), JSON, max_size=3),
)
def test_round_trips_with_any_added_fields(event: dict[str, Any], extra: dict[str, Any]) -> None:
    """Fields a newer release adds, whatever their values, never change what is read."""
    grown = {**event, "data": {**extra, **event["data"]}}
    for name, value in extra.items():
        grown.setdefault(f"x{name}", value)
    decoded = decode(json.dumps(grown).encode())
    assert as_json(decoded) == event
    assert decode(msgspec.json.encode(decoded)) == decoded


def test_data_structs_are_frozen_event_data() -> None:
    for event_type in TYPES.values():
        assert issubclass(event_type.data, EventData)
        assert event_type.data.__struct_config__.frozen
