"""Azuga normalization, rule by rule (the samples against their golden files: the
conformance suite, tests/providers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.golden import canonical_events, dead_letter
from tests.support.samples import sample

PROVIDER = "azuga"


def pairing() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(PROVIDER, "VEHICLE_PAIRING"))
    return loaded


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    [event] = canonical_events(PROVIDER, encode(body))
    return event


@pytest.mark.parametrize(
    ("action", "ce_type"),
    [
        ("Pair", "driver.vehicle.paired"),
        ("Unpair", "driver.vehicle.unpaired"),
        ("UNPAIR", "driver.vehicle.unpaired"),
    ],
)
def test_action_decides_the_type(action: str, ce_type: str) -> None:
    body = pairing()
    body["action"] = action
    event = normalized(body)
    assert event["type"] == ce_type
    assert event["providereventtype"] == "VEHICLE_PAIRING"


def test_time_is_event_time_not_message_time() -> None:
    body = pairing()
    event = normalized(body)
    moment = datetime.fromtimestamp(body["eventInfo"]["eventTime"] / 1000, UTC)
    assert event["time"] == moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    message = datetime.fromtimestamp(body["time"] / 1000, UTC)
    assert event["data"]["generated_at"] == message.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert event["data"]["generated_at"] < event["time"]  # Azuga's own sample: time is earlier


def test_subject_is_the_entity_id_and_every_identifier_is_kept() -> None:
    body = pairing()
    data = normalized(body)["data"]
    assert normalized(body)["subject"] == f"azuga:vehicle:{body['entityId']}"
    assert data["vehicle"]["provider_id"] == body["entityId"]
    assert data["vehicle"]["name"] == body["entityName"]
    assert data["vehicle"]["vin"] is None
    assert data["account_id"] == str(body["customerId"])
    assert data["driver"] == {"id": body["eventInfo"]["driverId"], "name": None}
    assert data["initiated_by"] == body["eventInfo"]["actionBy"]


def test_other_message_types_are_unsupported() -> None:
    body = pairing()
    body["messageType"] = "TRIP_START"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "unsupported-event"
    assert "'TRIP_START'" in reason


def test_unknown_action_is_unsupported() -> None:
    body = pairing()
    body["action"] = "Reassign"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "unsupported-event"
    assert "'Reassign'" in reason


@pytest.mark.parametrize(
    ("field", "path"),
    [("eventTime", "$.eventInfo.eventTime"), ("driverId", "$.eventInfo.driverId")],
)
def test_required_event_info_is_checked(field: str, path: str) -> None:
    body = pairing()
    del body["eventInfo"][field]
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert field in reason
    assert path.rsplit(".", 1)[0] in reason


def test_missing_message_type_is_an_invalid_payload() -> None:
    body = pairing()
    del body["messageType"]
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "messageType" in reason


def test_event_time_in_seconds_is_an_invalid_time() -> None:
    body = pairing()
    body["eventInfo"]["eventTime"] //= 1000  # seconds read as milliseconds: January 1970
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-time"
    assert "eventInfo.eventTime" in reason


def test_no_vehicle_id_is_no_subject() -> None:
    body = pairing()
    del body["entityId"]
    kind, _ = dead_letter(PROVIDER, encode(body))
    assert kind == "no-subject"


def test_invalid_json_is_dead_lettered() -> None:
    kind, reason = dead_letter(PROVIDER, sample(PROVIDER, "VEHICLE_PAIRING")[:-3])
    assert kind == "invalid-json"
    assert "not valid JSON" in reason


def test_invalid_utf8_inside_a_string_is_invalid_json() -> None:
    body = sample(PROVIDER, "VEHICLE_PAIRING").replace(b"GMC 1111", b"GMC \xff111")
    kind, reason = dead_letter(PROVIDER, body)
    assert kind == "invalid-json"
    # fleetwire's own words; what follows them is the decoder's, whose wording may change.
    assert reason.startswith("azuga VEHICLE_PAIRING is not valid JSON: ")
    assert len(reason) > len("azuga VEHICLE_PAIRING is not valid JSON: ")
