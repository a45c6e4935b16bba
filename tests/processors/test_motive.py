from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from fleetwire.envelope import ITEM as ITEM_HEADER
from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedItems, RejectedRecord
from processors import motive
from schemas.canonical import CanonicalEvent
from tests.support.golden import (
    canonical_events,
    dead_letter,
    transform,
)
from tests.support.samples import invalid_samples, ping_samples, sample, valid_samples


def record(body: bytes | Any, headers: dict[str, str] | None = None) -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawRecord(
        provider="motive",
        source="motive-main",
        key=hashlib.sha256(raw).hexdigest(),
        body=raw,
        headers=headers or {},
        received_at="2025-01-01T00:00:00.000Z",
    )


def location(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(sample("motive", "variant-vehicle_location_updated"))
    body.update(changes)
    return body


def normalize(body: bytes | Any) -> list[CanonicalEvent]:
    return motive.normalize(record(body))


def rejection(body: bytes | Any) -> RejectedRecord:
    with pytest.raises(RejectedRecord) as caught:
        normalize(body)
    return caught.value


# Each sample matches its golden file: the conformance suite (tests/providers).
@pytest.mark.parametrize("path", valid_samples("motive"), ids=lambda p: p.stem)
def test_an_object_is_one_event_and_an_array_one_per_item(path: Path) -> None:
    events = canonical_events("motive", path.read_bytes())
    body = json.loads(path.read_bytes())
    assert len(events) == (len(body) if isinstance(body, list) else 1)


def test_the_2017_sample_as_published_is_dead_lettered_as_invalid_json() -> None:
    [path] = invalid_samples("motive")
    kind, reason = dead_letter("motive", path.read_bytes())
    assert kind == "invalid-json"
    assert "not valid JSON" in reason


def test_the_test_request_is_a_ping_that_writes_nothing() -> None:
    [path] = ping_samples("motive")
    with pytest.raises(Ping):
        motive.normalize(record(path.read_bytes()))
    assert transform("motive", path.read_bytes()) == []


@pytest.mark.parametrize("action", ["vehicle_location_updated", "vehicle_location_received"])
def test_both_location_actions_become_a_location_update(action: str) -> None:
    [event] = normalize(location(action=action))
    assert (event.type, event.providereventtype) == ("vehicle.location.updated", action)
    assert event.subject == "motive:vehicle:123"
    assert event.time == "2017-01-01T12:00:00.000Z"


def test_units_and_position_are_converted_as_documented() -> None:
    [event] = canonical_events("motive", sample("motive", "variant-vehicle_location_updated"))
    data = event["data"]
    assert data["location"] == {
        "latitude": 34.123,
        "longitude": -84.123,
        "address": "3.2 mi SE of San Francisco, CA",
        "heading_deg": 90.0,
        "speed_kmh": 198.754,  # 123.5 mph
    }
    assert data["vss"] == [
        {"path": "Vehicle.TraveledDistance", "value": 3771066.73, "unit": "km"}  # 2343232.23 miles
    ]
    assert data["vehicle"]["provider_id"] == "123"


def test_a_string_vehicle_id_is_kept_as_it_came() -> None:
    [event] = normalize(location(vehicle_id="truck-9"))
    assert event.subject == "motive:vehicle:truck-9"


def test_an_array_fans_out_in_order_with_ids_by_position() -> None:
    body = [location(), location(action="vehicle_location_received", vehicle_id=9)]
    events = normalize(body)
    assert [e.subject for e in events] == ["motive:vehicle:123", "motive:vehicle:9"]
    assert len({e.id for e in events}) == 2
    assert normalize(body)[0].id == events[0].id
    [single] = normalize(body[0])
    assert single.id != events[0].id  # another body, another delivery


def test_a_bad_object_in_an_array_fails_alone() -> None:
    body = [location(), {"action": "fault_code_opened"}, location(lat=91), location(vehicle_id=5)]
    with pytest.raises(RejectedItems) as caught:
        normalize(body)
    assert [e.subject for e in caught.value.events] == ["motive:vehicle:123", "motive:vehicle:5"]
    assert [(i, r.kind) for i, r in caught.value.rejected] == [
        (1, "unsupported-event"),
        (2, "invalid-payload"),
    ]
    assert "not mapped yet" in str(caught.value.rejected[0][1])


def test_a_replayed_item_is_normalized_alone_with_its_own_id() -> None:
    body = json.dumps([location(), location(vehicle_id=5)]).encode()
    both = motive.normalize(record(body))
    [only] = motive.normalize(record(body, {ITEM_HEADER: "1"}))
    assert only == both[1]


def test_test_items_in_an_array_are_passed_over_and_an_array_of_tests_is_a_ping() -> None:
    [event] = normalize([{"action": "test"}, location()])
    assert event.subject == "motive:vehicle:123"
    with pytest.raises(Ping):
        normalize([{"action": "test"}, {"action": "test"}])


@pytest.mark.parametrize("action", sorted(motive.NOT_MAPPED_YET))
def test_actions_without_a_published_payload_are_not_guessed(action: str) -> None:
    caught = rejection({"action": action, "vehicle_id": 1})
    assert caught.kind == "unsupported-event"
    assert "not mapped yet" in str(caught)


def test_an_unknown_action_is_unsupported() -> None:
    caught = rejection({"action": "teleported"})
    assert (caught.kind, "not mapped yet" in str(caught)) == ("unsupported-event", False)


def test_the_signature_vector_body_is_no_event() -> None:
    with pytest.raises(RejectedItems) as caught:
        normalize(b'["fault_code_closed"]')
    assert caught.value.kind == "invalid-payload"


@pytest.mark.parametrize("field", ["vehicle_id", "located_at", "lat", "lon"])
def test_what_a_location_cannot_do_without_is_required(field: str) -> None:
    body = location()
    del body[field]
    assert rejection(body).kind == "invalid-payload"


def test_a_time_without_zone_is_utc_and_a_nonsense_time_is_rejected() -> None:
    [event] = normalize(location(located_at="2017-01-01T12:00:00"))
    assert event.time == "2017-01-01T12:00:00.000Z"
    assert rejection(location(located_at="yesterday")).kind == "invalid-time"


def test_unknown_fields_are_ignored() -> None:
    assert normalize(location(driver={"id": 1}, extra=True))


def test_an_empty_or_oversized_array_is_rejected_whole() -> None:
    assert rejection([]).kind == "invalid-payload"
    huge = b"[" + b",".join([b"{}"] * (motive.MAX_OBJECTS_PER_BODY + 1)) + b"]"
    assert rejection(huge).kind == "too-large"
