from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import telematica
from processors.timestamps import format_utc
from schemas.canonical import CanonicalEvent
from tests.support.samples import sample

SVIX_ID = "msg_2fHuCkjWaQ8Gq4fZ1xYd7TnR0sK"
SVIX_TIMESTAMP = "1761896350"  # 2025-10-31T07:39:10Z
RECEIVED_AT = "2025-10-31T07:39:11.250Z"
SIGNED = {"svix-id": SVIX_ID, "svix-timestamp": SVIX_TIMESTAMP}


def record(
    body: bytes | dict[str, Any], headers: dict[str, str] | None = None, key: str = SVIX_ID
) -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawRecord(
        provider="telematica",
        source="telematica-main",
        key=key,
        body=raw,
        headers=SIGNED if headers is None else headers,
        received_at=RECEIVED_AT,
    )


def doc(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample("telematica", name))
    return loaded


def normalize(
    body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> list[CanonicalEvent]:
    return telematica.normalize(record(body, headers))


def rejection(body: bytes | dict[str, Any]) -> RejectedRecord:
    with pytest.raises(RejectedRecord) as caught:
        normalize(body)
    return caught.value


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("charger.charging-command", "charger.command.completed"),
        ("vehicle.charging-command", "vehicle.command.completed"),
        ("vehicle.charging-status", "vehicle.charging.changed"),
        ("vehicle.plug-status", "vehicle.plug.changed"),
        ("vehicle.soc", "vehicle.battery.soc_reached"),
        ("user.devices-connected", "vehicle.connected"),
        ("user.devices-disconnected", "vehicle.disconnected"),
    ],
)
def test_each_type_maps_to_the_contract_type(name: str, expected: str) -> None:
    events = normalize(sample("telematica", name))
    assert [e.type for e in events] == [expected]
    assert events[0].providereventtype == name


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"svix-timestamp": SVIX_TIMESTAMP}, "2025-10-31T07:39:10.000Z"),
        ({"webhook-timestamp": "1761896351"}, "2025-10-31T07:39:11.000Z"),
        ({}, RECEIVED_AT),
        ({"svix-timestamp": "soon"}, RECEIVED_AT),
        ({"svix-timestamp": "12"}, RECEIVED_AT),  # 1970: not a sane send time
        ({"svix-timestamp": "12", "webhook-timestamp": "1761896351"}, "2025-10-31T07:39:11.000Z"),
    ],
)
def test_the_time_is_the_signed_timestamp_else_the_receive_time(
    headers: dict[str, str], expected: str
) -> None:
    [event] = normalize(sample("telematica", "vehicle.soc"), headers)
    assert event.time == expected


def test_without_any_usable_time_the_record_is_rejected() -> None:
    raw = RawRecord(
        provider="telematica",
        source="t",
        key="k",
        body=sample("telematica", "vehicle.soc"),
        headers={},
        received_at="",
    )
    with pytest.raises(RejectedRecord) as caught:
        telematica.normalize(raw)
    assert caught.value.kind == "invalid-time"


def test_a_status_snapshot_is_normalized_with_its_own_times() -> None:
    [event] = normalize(sample("telematica", "vehicle.charging-status"))
    data = event.data
    assert data.charging_state == "Charging"
    status = data.status
    assert status.connection_state == "ACTIVE"  # the data link, not charging
    assert status.battery.range_km == 216
    assert status.battery.updated_at == "2023-06-29T11:29:11.815Z"
    assert status.odometer_km == 12345
    assert (status.location.latitude, status.location.longitude) == (12.345678, 7.3321)
    assert data.vehicle.registration == "GJ01M20191"
    assert data.vehicle.provider_id == "641aeef260d202219c22f03b"
    assert status.snapshot_id == "63ed07f8d2100cc452f57e3d"


def test_miles_become_km() -> None:
    body = doc("vehicle.plug-status")
    body["vehicleState"]["batteryState"].update(range=100, rangeUnit="miles")
    body["vehicleState"]["odo"].update(value=10, unit="mi")
    [event] = normalize(body)
    assert event.data.status.battery.range_km == 160.934
    assert event.data.status.odometer_km == 16.093


def test_an_unknown_distance_unit_is_rejected_not_guessed() -> None:
    body = doc("vehicle.plug-status")
    body["vehicleState"]["odo"]["unit"] = "furlongs"
    error = rejection(body)
    assert error.kind == "invalid-payload"
    assert "odo.unit" in str(error)


def test_the_reported_soc_and_the_snapshot_soc_are_both_kept() -> None:
    [event] = normalize(sample("telematica", "vehicle.soc"))
    assert event.data.soc_percent == 40.2
    assert event.data.target_soc_percent == 40
    assert event.data.status.battery.soc_percent == 77


def test_a_charger_command_is_keyed_by_the_charger() -> None:
    [event] = normalize(sample("telematica", "charger.charging-command"))
    assert event.subject == "telematica:charger:64253244f8057090fb3a822b"
    assert event.data.charger_id == "64253244f8057090fb3a822b"
    assert event.data.vehicle.provider_id is None
    assert (event.data.action, event.data.success) == ("charger-start", True)


def test_a_vehicle_command_is_keyed_by_the_vehicle() -> None:
    [event] = normalize(sample("telematica", "vehicle.charging-command"))
    assert event.subject == "telematica:vehicle:64253244f8057090fb3a822b"


def test_a_vin_that_passes_the_rule_keys_the_event() -> None:
    [event] = normalize(sample("telematica", "vehicle.charging-status"))
    assert event.subject == "vin:MAT534006MPTS4325"


def test_the_invalid_sample_vin_is_kept_but_does_not_key_the_event() -> None:
    [event] = normalize(sample("telematica", "user.devices-connected"))
    assert (event.data.vehicle.vin, event.data.vehicle.vin_valid) == ("7SAWDDEQXPS685253", False)
    assert event.subject == "telematica:vehicle:642f07d280dead60533b57c2"


def test_device_lists_fan_out_one_event_per_device_in_either_shape() -> None:
    body = doc("user.devices-connected")
    body["devices"] = [
        body["devices"][0],
        "6500000000000000000000aa",
        {"deviceId": "x", "vin": "5YJ3E1EA9LF000316"},
    ]
    events = normalize(body)
    assert [e.type for e in events] == ["vehicle.connected"] * 3
    assert [e.data.vehicle.provider_id for e in events] == [
        "642f07d280dead60533b57c2",
        "6500000000000000000000aa",
        "x",
    ]
    assert events[2].subject == "vin:5YJ3E1EA9LF000316"
    assert len({e.id for e in events}) == 3
    assert all(e.data.user_id == "user-id-in-your-database" for e in events)


def test_the_legacy_vehicles_key_is_ignored() -> None:
    plain = normalize(sample("telematica", "user.devices-disconnected"))
    legacy = normalize(sample("telematica", "variant-user.devices-disconnected-legacy-vehicles"))
    assert plain == legacy


def test_an_empty_device_list_is_invalid_and_a_huge_one_too_large() -> None:
    body = doc("user.devices-disconnected")
    body["devices"] = []
    assert rejection(body).kind == "invalid-payload"
    body["devices"] = [f"{i:024x}" for i in range(telematica.MAX_DEVICES_PER_EVENT + 1)]
    assert rejection(body).kind == "too-large"
    body["devices"].pop()
    assert len(normalize(body)) == telematica.MAX_DEVICES_PER_EVENT


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("charger.charging-command", "chargerId"),
        ("charger.charging-command", "success"),
        ("vehicle.charging-command", "vehicleId"),
        ("vehicle.charging-status", "currentState"),
        ("vehicle.plug-status", "vehicleId"),
        ("vehicle.soc", "currentSoc"),
        ("user.devices-connected", "devices"),
    ],
)
def test_the_ids_and_the_reported_fact_are_required(name: str, field: str) -> None:
    body = doc(name)
    body.pop(field)
    error = rejection(body)
    assert error.kind == "invalid-payload"
    assert field in str(error)


def test_an_unknown_type_is_unsupported() -> None:
    body = doc("vehicle.soc")
    body["type"] = "vehicle.tyre-pressure"
    error = rejection(body)
    assert error.kind == "unsupported-event"
    assert "vehicle.tyre-pressure" in str(error)


def test_ids_depend_on_the_delivery_not_on_the_timestamp() -> None:
    body = sample("telematica", "user.devices-connected")
    first = telematica.normalize(record(body, {"svix-timestamp": SVIX_TIMESTAMP}))
    retry = telematica.normalize(record(body, {"svix-timestamp": "1761896655"}))
    other = telematica.normalize(record(body, key="msg_other"))
    assert [e.id for e in first] == [e.id for e in retry]
    assert first[0].time != retry[0].time
    assert first[0].id != other[0].id


@given(st.integers(min_value=978_307_200, max_value=4_102_444_799))  # 2001 to 2099
def test_any_sane_signed_timestamp_is_the_event_time(seconds: int) -> None:
    [event] = normalize(sample("telematica", "vehicle.soc"), {"svix-timestamp": str(seconds)})
    assert event.time == format_utc(datetime.fromtimestamp(seconds, UTC))
