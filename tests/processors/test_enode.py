from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedItems, RejectedRecord
from processors import enode
from schemas.canonical import CanonicalEvent
from schemas.events.state import StateReport
from tests.support.golden import canonical_events, dead_letter, transform
from tests.support.samples import invalid_samples, sample, valid_samples

VALID_VIN = "5YJ3E1EA9LF000316"
HEARTBEAT = {"event": "system:heartbeat", "createdAt": "2025-03-01T10:00:00Z", "pendingEvents": 0}
TEST = {"event": "enode:webhook:test", "createdAt": "2025-03-01T10:00:00Z"}


def record(body: bytes | Any, key: str = "delivery-1") -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawRecord(
        provider="enode",
        source="enode-main",
        key=key,
        body=raw,
        headers={},
        received_at="2025-03-01T10:00:01.000Z",
    )


def published(name: str = "variant-user-vehicle-updated-schema-examples") -> dict[str, Any]:
    [item] = json.loads(sample("enode", name))
    return item  # type: ignore[no-any-return]


def normalize(body: bytes | Any) -> list[CanonicalEvent]:
    return enode.normalize(record(body))


def report(item: dict[str, Any]) -> StateReport:
    [event] = normalize([item])
    assert isinstance(event.data, StateReport)
    return event.data


def signals(item: dict[str, Any]) -> dict[str, Any]:
    return {s.code: (s.value, s.unit) for s in report(item).signals}


def rejection(body: bytes | Any) -> RejectedRecord:
    with pytest.raises(RejectedRecord) as caught:
        normalize(body)
    return caught.value


# Each sample matches its golden file: the conformance suite (tests/providers).
@pytest.mark.parametrize("path", valid_samples("enode"), ids=lambda p: p.stem)
def test_every_item_of_a_sample_is_one_event(path: Path) -> None:
    events = canonical_events("enode", path.read_bytes())
    assert len(events) == len(json.loads(path.read_bytes()))


def test_the_published_example_as_published_is_dead_lettered_as_invalid_json() -> None:
    [path] = invalid_samples("enode")
    kind, reason = dead_letter("enode", path.read_bytes())
    assert kind == "invalid-json"
    assert "not valid JSON" in reason


def test_a_vehicle_update_is_a_state_report_of_the_changed_readings() -> None:
    [event] = normalize(sample("enode", "variant-user-vehicle-updated"))
    assert (event.type, event.providereventtype) == (
        "vehicle.state.reported",
        "user:vehicle:updated",
    )
    assert event.subject == "enode:vehicle:e8af7ddf-01ce-4ff7-b850-45888708cc0a"
    assert event.time == "2020-04-07T17:04:26.000Z"
    data = event.data
    assert isinstance(data, StateReport)
    assert data.user_id == "8d90101b-3f2f-462a-bbb4-1ed320d33bbe"
    # Enode's example writes the two numbers as strings: they are read as numbers.
    assert {s.code: (s.value, s.unit) for s in data.signals} == {
        "chargeState.batteryLevel": (38.0, "percent"),
        "chargeState.range": (127.5, "km"),
        "location": ({"latitude": 59.911491, "longitude": 10.757933}, None),
    }
    assert data.location is not None
    assert (data.location.latitude, data.location.longitude) == (59.911491, 10.757933)


def test_every_documented_reading_keeps_its_unit_and_its_vss_name() -> None:
    found = {s.code: s for s in report(published()).signals}
    assert {code: (s.value, s.unit) for code, s in found.items()} == {
        "chargeState.batteryLevel": (38, "percent"),
        "chargeState.range": (127.5, "km"),
        "chargeState.isPluggedIn": (True, None),
        "chargeState.isCharging": (False, None),
        "chargeState.chargeRate": (40.1, "kW"),
        "chargeState.chargeLimit": (80, "percent"),
        "chargeState.chargeTimeRemaining": (319, "min"),
        "chargeState.batteryCapacity": (73.21, "kWh"),
        "odometer.distance": (24650, "km"),
        "location": ({"latitude": 59.911491, "longitude": 10.757933}, None),
    }
    vss = {v.path: (v.value, v.unit) for s in found.values() for v in s.vss}
    assert vss == {
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": (38.0, "percent"),
        "Vehicle.Powertrain.TractionBattery.Range": (127500, "m"),
        "Vehicle.Powertrain.TractionBattery.Charging.ChargingPort.AnyPosition"
        ".IsChargingCableConnected": (True, None),
        "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": (False, None),
        "Vehicle.TraveledDistance": (24650.0, "km"),
    }
    assert found["odometer.distance"].oem_updated_at == "2020-04-07T17:04:26.000Z"


def test_vehicle_information_fills_the_vehicle_and_a_valid_vin_is_the_subject() -> None:
    item = published()
    item["vehicle"]["information"]["vin"] = VALID_VIN.lower()
    [event] = normalize([item])
    vehicle = event.data.vehicle
    assert (vehicle.make, vehicle.model, vehicle.year) == ("Tesla", "Model S P85", 2020)
    assert (vehicle.vin, vehicle.vin_valid, event.subject) == (VALID_VIN, True, f"vin:{VALID_VIN}")


def test_a_batch_fans_out_in_order_with_ids_by_position() -> None:
    first, second = published(), published()
    second["vehicle"]["id"] = "other"
    events = normalize([first, second])
    assert [e.subject for e in events] == [
        "enode:vehicle:e8af7ddf-01ce-4ff7-b850-45888708cc0a",
        "enode:vehicle:other",
    ]
    assert len({e.id for e in events}) == 2
    assert [e.id for e in normalize([first, second])] == [e.id for e in events]
    assert {e.id for e in enode.normalize(record([first, second], key="delivery-2"))}.isdisjoint(
        e.id for e in events
    )


def test_pings_mixed_into_a_batch_are_passed_over_keeping_positions() -> None:
    events = normalize([HEARTBEAT, published(), TEST])
    [alone] = normalize([published()])
    assert [e.type for e in events] == ["vehicle.state.reported"]
    assert events[0].id != alone.id  # position 1 in its batch, not 0


@pytest.mark.parametrize("batch", [[HEARTBEAT], [TEST], [TEST, HEARTBEAT, HEARTBEAT]])
def test_a_batch_of_only_pings_is_a_ping_and_writes_nothing(batch: list[Any]) -> None:
    with pytest.raises(Ping):
        normalize(batch)
    assert transform("enode", json.dumps(batch).encode()) == []


def test_each_bad_item_is_rejected_alone() -> None:
    bad_number = published()
    bad_number["vehicle"]["chargeState"]["range"] = "far"
    no_vehicle = {"event": "user:vehicle:updated", "createdAt": "2025-03-01T10:00:00Z"}
    with pytest.raises(RejectedItems) as caught:
        normalize([published(), bad_number, HEARTBEAT, no_vehicle, "not an object"])
    assert len(caught.value.events) == 1
    assert [(i, r.kind) for i, r in caught.value.rejected] == [
        (1, "invalid-payload"),
        (3, "invalid-payload"),
        (4, "invalid-payload"),
    ]
    assert "vehicle.chargeState.range: 'far' is not a number" in str(caught.value.rejected[0][1])


@pytest.mark.parametrize("value", ["NaN", "inf", "", "38%"])
def test_a_string_that_is_no_finite_number_is_rejected(value: str) -> None:
    item = published()
    item["vehicle"]["chargeState"]["batteryLevel"] = value
    assert rejection([item]).kind == "invalid-payload"


@pytest.mark.parametrize("name", sorted(enode.NOT_MAPPED_YET))
def test_events_without_a_published_payload_are_not_guessed(name: str) -> None:
    caught = rejection([{"event": name, "createdAt": "2025-03-01T10:00:00Z"}])
    assert caught.kind == "unsupported-event"
    assert "not mapped yet" in str(caught)


def test_an_unknown_event_is_unsupported() -> None:
    caught = rejection([{"event": "user:rocket:launched"}])
    assert (caught.kind, "not mapped yet" in str(caught)) == ("unsupported-event", False)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"{}", "invalid-payload"),  # an object, not the batch array
        (b"[]", "invalid-payload"),
        (b"[", "invalid-json"),
        (json.dumps([HEARTBEAT] * (enode.MAX_EVENTS_PER_BATCH + 1)).encode(), "too-large"),
    ],
)
def test_a_body_that_is_no_batch_is_rejected_whole(body: bytes, kind: str) -> None:
    caught = rejection(body)
    assert not isinstance(caught, RejectedItems)
    assert caught.kind == kind


def test_a_full_batch_fans_out() -> None:
    assert len(normalize([published()] * enode.MAX_EVENTS_PER_BATCH)) == 100


def test_created_at_is_required_and_must_be_a_time() -> None:
    item = published()
    del item["createdAt"]
    assert rejection([item]).kind == "invalid-payload"
    item["createdAt"] = "last tuesday"
    assert rejection([item]).kind == "invalid-time"


def test_unknown_fields_are_ignored() -> None:
    item = published()
    item["vehicle"]["smartChargingPolicy"] = {"isEnabled": True}
    item["somethingNew"] = [1, 2]
    assert signals(item) == signals(published())
