from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import smartcar
from processors.timestamps import format_utc
from schemas.canonical import CanonicalEvent
from tests.support.golden import transform
from tests.support.samples import sample

EVENT_ID = "9b8f6c2e-3d41-4f7a-a0c5-2e7d1b6f4a10"
RECEIVED_AT = "2025-10-31T07:39:11.000Z"
VERIFY = ("variant-verify-v4", "variant-verify-v2-legacy")


def record(body: bytes | dict[str, Any], key: str = EVENT_ID) -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawRecord(
        provider="smartcar",
        source="smartcar-main",
        key=key,
        body=raw,
        headers={},
        received_at=RECEIVED_AT,
    )


def doc(name: str = "variant-vehicle-state-v4") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample("smartcar", name))
    return loaded


def normalize(body: bytes | dict[str, Any]) -> list[CanonicalEvent]:
    return smartcar.normalize(record(body))


def rejection(body: bytes | dict[str, Any]) -> RejectedRecord:
    with pytest.raises(RejectedRecord) as caught:
        normalize(body)
    return caught.value


@pytest.mark.parametrize("name", VERIFY)
def test_a_verify_that_reaches_a_processor_is_dead_lettered_as_unsupported(name: str) -> None:
    [out] = transform("smartcar", sample("smartcar", name))
    assert out.error_kind == "unsupported-event"
    assert b"VERIFY" in dict(out.headers)["fleetwire-error"]
    assert out.value == sample("smartcar", name)


@pytest.mark.parametrize(
    "variant",
    [
        "variant-legacy-meta-in-data",
        "variant-legacy-retrievedat",
        "variant-legacy-top-level-triggers",
        "variant-deliveredat-iso",
        "variant-vehicle-state-no-vehicleid",
    ],
)
def test_older_shapes_read_exactly_as_the_current_one(variant: str) -> None:
    assert normalize(sample("smartcar", variant)) == normalize(
        sample("smartcar", "variant-vehicle-state-v4")
    )


def test_signals_are_normalized_each_with_its_own_times() -> None:
    [event] = normalize(sample("smartcar", "variant-vehicle-state-v4"))
    soc, charging, location = event.data.signals
    assert (soc.code, soc.name, soc.group) == (
        "tractionbattery-stateofcharge",
        "StateOfCharge",
        "TractionBattery",
    )
    assert (soc.value, soc.unit) == (78, "percent")
    assert soc.oem_updated_at == "2025-10-31T07:39:00.000Z"
    assert soc.fetched_at == "2025-10-31T07:39:05.120Z"
    assert (charging.value, charging.unit) == (True, None)
    assert location.value == {"latitude": 37.7749, "longitude": -122.4194}
    assert event.data.location is not None
    assert (event.data.location.latitude, event.data.location.longitude) == (37.7749, -122.4194)
    assert event.time == "2025-10-31T07:39:10.412Z"
    assert event.data.mode == "LIVE"
    assert event.data.user_id == "e2a4c6b8-1f3d-4a5c-8e7f-0b9d2c4e6a81"


def test_a_failed_signal_carries_its_error_and_no_value() -> None:
    [event] = normalize(sample("smartcar", "variant-vehicle-state-signal-error"))
    failed = event.data.signals[1]
    assert failed.value is None
    assert failed.error is not None
    assert (failed.error.code, failed.error.type) == ("VEHICLE_NOT_CAPABLE", "COMPATIBILITY")
    assert failed.fetched_at is None
    assert len(event.data.signals) == 3


def test_first_delivery_is_flagged() -> None:
    [event] = normalize(sample("smartcar", "variant-vehicle-state-first-delivery"))
    assert event.data.first_delivery
    assert [t.type for t in event.data.triggers] == ["FIRST_DELIVERY"]
    [plain] = normalize(sample("smartcar", "variant-vehicle-state-v4"))
    assert not plain.data.first_delivery


def test_a_legacy_first_delivery_trigger_is_flagged_too() -> None:
    body = doc("variant-legacy-top-level-triggers")
    body["triggers"] = [{"type": "FIRST_DELIVERY"}]
    [event] = normalize(body)
    assert event.data.first_delivery


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"value": 10, "unit": "miles"}, (16.093, "km")),
        ({"value": 10, "unit": "km"}, (10, "km")),
        ({"value": 50, "unit": "mph"}, (80.467, "km/h")),
        ({"value": 3.5, "unit": "kPa"}, (3.5, "kPa")),
        ({"value": "10", "unit": "miles"}, ("10", "miles")),  # not a number: left alone
        ({"value": 10**400, "unit": "miles"}, (10**400, "miles")),  # beyond float: left alone
    ],
)
def test_signal_distances_and_speeds_become_km_and_kmh(
    body: dict[str, Any], expected: tuple[Any, str]
) -> None:
    payload = doc()
    payload["data"]["signals"][0]["body"] = body
    [event] = normalize(payload)
    signal = event.data.signals[0]
    assert (signal.value, signal.unit) == expected


def test_a_valid_vin_keys_the_event() -> None:
    [event] = normalize(sample("smartcar", "variant-vehicle-state-vin"))
    assert event.subject == "vin:5YJ3E1EA9LF000316"


def test_without_a_vin_the_smartcar_vehicle_id_keys_the_event() -> None:
    body = doc()
    del body["data"]["vehicle"]["id"]
    [event] = normalize(body)
    assert event.subject == "smartcar:vehicle:c6e1a3f0-7b2d-4e59-9a8c-1d4f5e6b7a82"
    del body["vehicleId"]
    assert rejection(body).kind == "no-subject"


@pytest.mark.parametrize(
    ("delivered", "expected"),
    [
        (1761896350412, "2025-10-31T07:39:10.412Z"),
        (1761896350, "2025-10-31T07:39:10.000Z"),
        (1761896350.5, "2025-10-31T07:39:10.500Z"),
        ("1761896350412", "2025-10-31T07:39:10.412Z"),
        ("2025-10-31T09:39:10.412+02:00", "2025-10-31T07:39:10.412Z"),
    ],
)
def test_delivered_at_in_every_form(delivered: Any, expected: str) -> None:
    body = doc()
    body["meta"]["deliveredAt"] = delivered
    [event] = normalize(body)
    assert event.time == expected


def test_without_delivered_at_the_receive_time_is_used() -> None:
    body = doc()
    del body["meta"]
    [event] = normalize(body)
    assert event.time == RECEIVED_AT


@pytest.mark.parametrize("delivered", [0, "yesterday", 17618963504120000])
def test_a_nonsense_delivered_at_is_rejected(delivered: Any) -> None:
    body = doc()
    body["meta"]["deliveredAt"] = delivered
    error = rejection(body)
    assert error.kind == "invalid-time"
    assert "meta.deliveredAt" in str(error)


def test_a_signal_time_in_seconds_is_caught_by_the_year_check() -> None:
    body = doc()
    body["data"]["signals"][2]["meta"]["fetchedAt"] = 1761896345
    error = rejection(body)
    assert error.kind == "invalid-time"
    assert "data.signals[2].meta.fetchedAt" in str(error)


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1)))
def test_the_three_forms_of_delivered_at_agree(moment: datetime) -> None:
    moment = moment.replace(tzinfo=UTC)
    millis = int(moment.timestamp() * 1000)
    as_ms = smartcar.delivered_at(millis, "t")
    assert as_ms == format_utc(datetime.fromtimestamp(millis / 1000, UTC))
    assert smartcar.delivered_at(str(millis), "t") == as_ms
    assert smartcar.delivered_at(as_ms, "t") == as_ms
    assert smartcar.delivered_at(millis // 1000, "t") == as_ms[:-4] + "000Z"


def test_vehicle_errors_fan_out_one_event_per_error() -> None:
    body = doc("variant-vehicle-error")
    resolved = doc("variant-vehicle-error-resolved-null-code")["data"]["errors"][0]
    body["data"]["errors"].append(resolved)
    events = normalize(body)
    assert [e.type for e in events] == ["vehicle.connection.failed", "vehicle.connection.restored"]
    assert len({e.id for e in events}) == 2
    failed, restored = (e.data.error for e in events)
    assert (failed.code, failed.type, failed.resolution) == (
        "UNREACHABLE",
        "VEHICLE_STATE",
        "RETRY_LATER",
    )
    assert failed.description == "The vehicle is not connected to the internet."
    assert [s.code for s in failed.signals] == [
        "tractionbattery-stateofcharge",
        "location-preciselocation",
    ]
    assert (restored.code, restored.resolution) == (None, None)


def test_an_error_in_an_unknown_state_rejects_the_delivery() -> None:
    body = doc("variant-vehicle-error")
    body["data"]["errors"][0]["state"] = "PENDING"
    error = rejection(body)
    assert error.kind == "unsupported-event"
    assert "errors[0]" in str(error)


def test_no_errors_is_invalid() -> None:
    body = doc("variant-vehicle-error")
    body["data"]["errors"] = []
    assert rejection(body).kind == "invalid-payload"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"eventId": "x", "eventType": "VEHICLE_LOCKED", "data": {}}, "unsupported-event"),
        ({"eventId": "x", "data": {}}, "invalid-payload"),
        ({"version": "2.0", "eventName": "schedule", "payload": {}}, "unsupported-event"),
    ],
)
def test_bodies_that_are_no_known_event(body: dict[str, Any], kind: str) -> None:
    assert rejection(body).kind == kind


@pytest.mark.parametrize(
    "path", [("eventId",), ("data",), ("data", "signals"), ("data", "signals", 0, "code")]
)
def test_required_fields_are_required(path: tuple[Any, ...]) -> None:
    body = doc()
    parent: Any = body
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    assert rejection(body).kind == "invalid-payload"


def test_bodies_over_50_kb_are_too_large_and_up_to_it_fine() -> None:
    body = sample("smartcar", "variant-vehicle-state-v4").rstrip()
    at_limit = body + b" " * (smartcar.MAX_BODY_BYTES - len(body))
    assert len(normalize(at_limit)) == 1
    error = rejection(at_limit + b" ")
    assert error.kind == "too-large"


def test_the_same_delivery_gives_the_same_ids_and_another_delivery_others() -> None:
    body = sample("smartcar", "variant-vehicle-error")
    first = smartcar.normalize(record(body))
    assert first == smartcar.normalize(record(body))
    assert first[0].id != smartcar.normalize(record(body, key="other-event"))[0].id
