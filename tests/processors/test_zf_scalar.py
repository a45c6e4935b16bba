from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import zf_scalar
from processors.timestamps import format_utc
from schemas.canonical import CanonicalEvent
from tests.support.golden import canonical_events
from tests.support.samples import sample, valid_samples

BATCH_ID = "31fccdce-725e-4c87-a91b-3a8e66144641"
VALID_VIN = "5YJ3E1EA9LF000316"


def record(body: bytes | dict[str, Any], key: str = BATCH_ID) -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawRecord(
        provider="zf-scalar",
        source="zf-main",
        key=key,
        body=raw,
        headers={},
        received_at="2025-05-13T13:18:14.000Z",
    )


def doc(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample("zf-scalar", name))
    return loaded


def edit(name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = doc(name)
    change(body["eventsData"][0]["eventData"])
    return body


def normalize(body: bytes | dict[str, Any]) -> list[CanonicalEvent]:
    return zf_scalar.normalize(record(body))


def rejection(body: bytes | dict[str, Any]) -> RejectedRecord:
    with pytest.raises(RejectedRecord) as caught:
        normalize(body)
    return caught.value


@pytest.mark.parametrize("path", valid_samples("zf-scalar"), ids=lambda p: p.stem)
def test_every_sample_makes_one_event_per_batch_item(path: Path) -> None:
    events = canonical_events("zf-scalar", path.read_bytes())
    assert len(events) == len(json.loads(path.read_bytes())["eventsData"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unit.paired-v1", "device.paired"),
        ("unit.paired-autopair-v2", "device.paired"),
        ("unit.paired-failed-notfound-v2", "device.pairing_failed"),
        ("unit.paired-failed-unknown-v1", "device.pairing_failed"),
        ("unit.unpaired-v1", "device.unpaired"),
    ],
)
def test_status_and_event_type_decide_the_canonical_type(name: str, expected: str) -> None:
    [event] = normalize(sample("zf-scalar", name))
    assert event.type == expected


def test_a_mixed_batch_fans_out_in_order_with_ids_by_position() -> None:
    events = normalize(sample("zf-scalar", "variant-mixed-batch"))
    assert [e.type for e in events] == ["device.unpaired", "device.pairing_failed", "device.paired"]
    assert len({e.id for e in events}) == 3
    assert [e.id for e in events] == [zf_scalar_id(i) for i in range(3)]
    assert events[1].data.location is not None  # v2 {latitude, longitude}
    assert events[1].data.location.latitude == 50.869


def zf_scalar_id(index: int) -> str:
    from processors.event import event_id

    return event_id(record(b"{}"), index)


def test_version_1_and_2_locations_read_the_same() -> None:
    [v1] = normalize(sample("zf-scalar", "unit.paired-failed-unknown-v1"))
    [v2] = normalize(sample("zf-scalar", "unit.paired-failed-unknown-v2"))
    assert v1.data.location == v2.data.location
    assert v1.data.location is not None


def test_a_location_in_the_other_versions_shape_is_rejected() -> None:
    body = edit(
        "unit.paired-failed-unknown-v1",
        lambda d: d.update(location={"latitude": 50.0, "longitude": 2.0}),
    )
    assert rejection(body).kind == "invalid-payload"


def test_an_impossible_latitude_is_rejected() -> None:
    body = edit(
        "unit.paired-autopair-v2", lambda d: d.update(location={"latitude": 91, "longitude": 2})
    )
    error = rejection(body)
    assert error.kind == "invalid-payload"
    assert "latitude" in str(error)


def test_the_sample_vins_stay_in_data_but_the_unit_is_the_subject() -> None:
    [event] = normalize(sample("zf-scalar", "unit.paired-autopair-v2"))
    vehicle = event.data.vehicle
    assert (vehicle.vin, vehicle.vin_valid) == ("1HGCM82633A000001", False)
    assert vehicle.sensor_vin == "F3A000001"
    assert vehicle.device_id == "tp:890123847562332"
    assert vehicle.asset_id == "5bca3b72-e006-4cea-bfaa-f5a4dcf3a63c"
    assert event.subject == "zf-scalar:unit:tp:890123847562332"


def test_a_valid_asset_vin_becomes_the_subject() -> None:
    body = edit("unit.paired-v1", lambda d: d.update(assetVIN=VALID_VIN.lower()))
    [event] = normalize(body)
    assert event.subject == f"vin:{VALID_VIN}"
    assert event.data.vehicle.vin_valid


def test_a_sensor_vin_never_becomes_the_subject_even_when_valid() -> None:
    body = edit("unit.paired-failed-notfound-v2", lambda d: d.update(sensorVIN=VALID_VIN))
    [event] = normalize(body)
    assert event.subject == "zf-scalar:unit:tp:890123847562332"
    assert event.data.vehicle.sensor_vin == VALID_VIN


def test_pairing_facts_are_kept() -> None:
    [event] = normalize(sample("zf-scalar", "unit.paired-failed-multiplematchfound-v2"))
    data = event.data
    assert (data.status, data.reason) == ("failed", "MultipleMatchFound")
    assert data.candidate_asset_ids == (
        "c8c90b90-ad39-4a3d-8b89-c25a22acaa25",
        "d8d90d90-dd29-3d3d-3b89-c45a22acab34",
    )
    assert data.organization_id == "c8c90b90-ad39-4a3d-8b89-c25a22acaa25"


def test_the_event_time_is_registered_on_in_utc() -> None:
    body = edit(
        "unit.paired-v1", lambda d: d.update(registeredOn="2025-05-13T01:02:03.4567891+02:00")
    )
    [event] = normalize(body)
    assert event.time == "2025-05-12T23:02:03.456Z"


def test_without_registered_on_the_batch_time_with_seven_digits_is_used() -> None:
    body = edit("unit.paired-v1", lambda d: d.pop("registeredOn"))
    [event] = normalize(body)
    assert event.time == "2025-05-13T13:18:13.201Z"
    assert event.data.registered_at is None


def test_a_1970_batch_time_does_not_hold_back_events_with_their_own_time() -> None:
    [event] = normalize(sample("zf-scalar", "variant-batch-time-1970"))
    assert event.time == "2025-05-12T22:20:00.000Z"


def test_a_1970_batch_time_that_would_be_the_event_time_is_rejected() -> None:
    body = doc("variant-batch-time-1970")
    body["eventsData"][0]["eventData"].pop("registeredOn")
    error = rejection(body)
    assert error.kind == "invalid-time"
    assert "eventBatchTime" in str(error)
    assert "eventsData[0]" in str(error)


def test_an_unknown_event_type_or_version_rejects_the_batch_naming_its_position() -> None:
    body = doc("variant-mixed-batch")
    body["eventsData"][2]["eventVersion"] = 3
    error = rejection(body)
    assert error.kind == "unsupported-event"
    assert "eventsData[2]" in str(error)
    body["eventsData"][2]["eventVersion"] = 1
    body["eventsData"][1]["eventType"] = "unit.moved"
    assert rejection(body).kind == "unsupported-event"


def test_an_unknown_pairing_status_is_unsupported() -> None:
    body = edit("unit.paired-v1", lambda d: d.update(status="pending"))
    assert rejection(body).kind == "unsupported-event"


def test_a_success_without_an_asset_is_invalid() -> None:
    body = edit("unit.paired-v1", lambda d: d.pop("assetId"))
    assert rejection(body).kind == "invalid-payload"


@pytest.mark.parametrize("field", ["unitId", "status", "reason", "organizationId"])
def test_fields_the_document_requires_are_required(field: str) -> None:
    body = edit("unit.paired-failed-notfound-v2", lambda d: d.pop(field))
    error = rejection(body)
    assert error.kind == "invalid-payload"
    assert field in str(error)


@pytest.mark.parametrize(
    "field", ["eventBatchId", "eventSubscriptionId", "eventBatchTime", "eventsData"]
)
def test_envelope_fields_are_required(field: str) -> None:
    body = doc("unit.paired-v1")
    body.pop(field)
    assert rejection(body).kind == "invalid-payload"


def test_unknown_fields_are_ignored() -> None:
    body = edit("unit.paired-v1", lambda d: d.update(firmware={"version": "9"}))
    body["deliveryAttempt"] = 2
    [event] = normalize(body)
    assert event.type == "device.paired"


def test_an_empty_batch_is_invalid() -> None:
    body = doc("unit.paired-v1")
    body["eventsData"] = []
    assert rejection(body).kind == "invalid-payload"


def test_a_batch_at_the_cap_fans_out_and_one_over_is_too_large() -> None:
    body = doc("unit.paired-v1")
    item = body["eventsData"][0]
    body["eventsData"] = [item] * zf_scalar.MAX_EVENTS_PER_BATCH
    events = normalize(body)
    assert len(events) == zf_scalar.MAX_EVENTS_PER_BATCH
    assert len({e.id for e in events}) == zf_scalar.MAX_EVENTS_PER_BATCH
    body["eventsData"].append(item)
    error = rejection(body)
    assert error.kind == "too-large"
    assert str(zf_scalar.MAX_EVENTS_PER_BATCH) in str(error)


def test_a_huge_batch_is_rejected_without_decoding_its_events() -> None:
    body = b'{"eventBatchId":"b","eventSubscriptionId":"s","eventBatchTime":"2025-05-13T13:18:13Z",'
    body += b'"eventsData":[' + b",".join([b'{"not":"an event"}'] * 200_000) + b"]}"
    assert rejection(body).kind == "too-large"


def test_invalid_json_is_named_as_such() -> None:
    assert rejection(sample("zf-scalar", "unit.paired-v1")[:-3]).kind == "invalid-json"


def test_the_same_batch_gives_the_same_ids_and_another_batch_others() -> None:
    body = sample("zf-scalar", "variant-mixed-batch")
    first = zf_scalar.normalize(record(body))
    assert first == zf_scalar.normalize(record(body))
    other = zf_scalar.normalize(record(body, key="another-batch"))
    assert not {e.id for e in first} & {e.id for e in other}


@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1)),
    st.integers(min_value=0, max_value=9_999_999),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_registered_on_with_ticks_and_any_offset_becomes_the_same_utc_instant(
    moment: datetime, ticks: int, minutes: int
) -> None:
    instant = moment.replace(microsecond=0, tzinfo=UTC) + timedelta(microseconds=ticks // 10)
    local = instant.astimezone(timezone(timedelta(minutes=minutes)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{ticks:07d}" + local.strftime("%z")
    [event] = normalize(edit("unit.paired-v1", lambda d: d.update(registeredOn=text)))
    assert event.time == format_utc(instant)
    assert event.data.registered_at == event.time
