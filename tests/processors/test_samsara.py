"""Samsara normalization: every sample against its reviewed golden file, and the rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from processors import metrics
from tests.support.golden import (
    canonical_events,
    dead_letter,
    transform,
)
from tests.support.samples import SAMPLES, invalid_samples, ping_samples, sample, valid_samples

PROVIDER = "samsara"
VIN = "1GBJ6P1B2HV112765"


def body_of(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(PROVIDER, name))
    return loaded


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def events(body: dict[str, Any], headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return canonical_events(PROVIDER, encode(body), headers)


def normalized(body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    [event] = events(body, headers)
    return event


# Each sample matches its golden file: the conformance suite (tests/providers).


def test_every_mapped_event_has_a_sample() -> None:
    from schemas.samsara import EVENTS

    named = {json.loads(p.read_bytes())["eventType"] for p in valid_samples(PROVIDER)}
    assert named == EVENTS - {"Alert", "Ping"}


# Mappings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ce_type"),
    [
        ("EngineFaultOn", "vehicle.dtc.detected"),
        ("variant-EngineFaultOff", "vehicle.dtc.cleared"),
        ("variant-GeofenceEntry", "vehicle.geofence.entered"),
        ("GeofenceExit", "vehicle.geofence.exited"),
        ("SpeedingEventStarted", "driving.speeding"),
        ("SevereSpeedingStarted", "driving.speeding"),
        ("GatewayUnplugged", "device.unplugged"),
    ],
)
def test_each_event_type_maps_to_its_canonical_type(name: str, ce_type: str) -> None:
    found = events(body_of(name))
    assert found
    assert {event["type"] for event in found} == {ce_type}
    assert {event["providereventtype"] for event in found} == {body_of(name)["eventType"]}
    assert {event["data"]["account_id"] for event in found} == {"20936"}


def test_a_fault_fans_out_to_one_event_per_code_system() -> None:
    found = events(body_of("EngineFaultOn"))
    codes = [(e["data"]["dtc"]["code"], e["data"]["dtc"]["failure_mode"]) for e in found]
    assert codes == [("1", "1"), ("CA2387", None), ("Short Code", None)]
    assert found[0]["data"]["dtc"]["detailed_description"] == "SPN: Description; FMI: Description"
    assert found[1]["data"]["dtc"]["description"] == "KVGT Servo Error"
    assert len({event["id"] for event in found}) == 3


def test_string_and_numeric_j1939_numbers_read_the_same() -> None:
    body = body_of("EngineFaultOn")
    body["data"]["fault"] = {"j1939": {"spn": {"id": " 0100 "}, "fmi": {"id": "4"}}}
    as_strings = normalized(body)["data"]["dtc"]
    body["data"]["fault"] = {"j1939": {"spn": {"id": 100}, "fmi": {"id": 4}}}
    as_numbers = normalized(body)["data"]["dtc"]
    assert as_strings == as_numbers
    assert (as_numbers["code"], as_numbers["failure_mode"]) == ("100", "4")


def test_a_j1939_code_without_fmi_has_no_failure_mode() -> None:
    body = body_of("EngineFaultOn")
    body["data"]["fault"] = {"j1939": {"spn": {"id": "110", "description": "Coolant temp"}}}
    dtc = normalized(body)["data"]["dtc"]
    assert (dtc["code"], dtc["failure_mode"], dtc["description"]) == ("110", None, "Coolant temp")


def test_a_numeric_trouble_code_without_short_code_is_the_code() -> None:
    body = body_of("EngineFaultOn")
    body["data"]["fault"] = {"passenger": {"dtc": {"troubleCode": 420}}}
    assert normalized(body)["data"]["dtc"]["code"] == "420"


def test_a_fault_without_any_code_is_dead_lettered() -> None:
    body = body_of("EngineFaultOn")
    body["data"]["fault"] = {"j1939": {"lamps": {"emissions": True}}}
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "holds no code" in reason


def test_severe_speeding_reads_its_payload_from_data_data() -> None:
    event = normalized(body_of("SevereSpeedingStarted"))
    assert event["subject"] == f"vin:{VIN}"
    assert event["time"] == "2019-06-13T19:08:25.000Z"
    assert event["data"]["severity"] == "severe"
    assert event["data"]["trip"]["started_at"] == "2019-06-13T19:08:25.000Z"
    assert event["data"]["episode"]["started_at"] == "2019-06-13T19:08:25.000Z"
    assert event["data"]["vehicle"]["registration"] == "6SAM123"


def test_severe_speeding_with_a_flat_payload_reads_the_same() -> None:
    body = body_of("SevereSpeedingStarted")
    body["data"] = body["data"]["data"]
    assert normalized(body)["data"] == normalized(body_of("SevereSpeedingStarted"))["data"]


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("Severe", "severe"),
        ("severe", "severe"),
        ("Heavy", "normal"),
        ("Light", "normal"),
        (None, "normal"),
    ],
)
def test_speeding_severity_follows_severity_level(level: str | None, severity: str) -> None:
    body = body_of("SpeedingEventStarted")
    body["data"]["severityLevel"] = level
    assert normalized(body)["data"]["severity"] == severity


def test_vehicle_vin_and_vin_are_both_read() -> None:
    speeding = normalized(body_of("SpeedingEventStarted"))  # vehicleVin
    fault = events(body_of("EngineFaultOn"))[0]  # vin
    geofence = normalized(body_of("GeofenceExit-vehiclevin"))  # vehicleVin in a geofence event
    for event in (speeding, fault, geofence):
        assert event["subject"] == f"vin:{VIN}"
        assert event["data"]["vehicle"]["vin_valid"] is True


def test_without_a_vin_the_vehicle_id_keys_the_event() -> None:
    found = events(body_of("EngineFaultOn-without-vin"))
    assert {event["subject"] for event in found} == {"samsara:vehicle:494123"}


def test_an_invalid_vin_is_kept_but_does_not_key_the_event() -> None:
    body = body_of("GeofenceExit")
    body["data"]["vehicle"]["vin"] = "1GBJ6P1B2HV112766"  # check digit wrong
    event = normalized(body)
    assert event["subject"] == "samsara:vehicle:494123"
    assert event["data"]["vehicle"]["vin"] == "1GBJ6P1B2HV112766"
    assert event["data"]["vehicle"]["vin_valid"] is False


def test_a_gateway_without_a_vehicle_is_keyed_by_its_serial() -> None:
    body = body_of("GatewayUnplugged")
    del body["data"]["gateway"]["vehicle"]
    event = normalized(body)
    assert event["subject"] == "samsara:gateway:GFRV-43N-VGX"
    assert event["data"]["device"]["serial"] == "GFRV-43N-VGX"


def test_an_event_with_no_vehicle_key_at_all_is_dead_lettered() -> None:
    body = body_of("GeofenceExit")
    del body["data"]["vehicle"]
    kind, _ = dead_letter(PROVIDER, encode(body))
    assert kind == "no-subject"


def test_the_geofence_is_named_with_its_radius_in_km_and_no_vehicle_position() -> None:
    event = normalized(body_of("GeofenceExit"))
    assert event["data"]["geofence"] == {
        "id": "494123",
        "key": None,
        "name": "Company Office #1",
        "address": "350 Rhode Island St, San Francisco, CA",
        "radius_km": 0.023,
    }
    assert event["data"]["location"] is None


# Time -----------------------------------------------------------------------------------


def test_a_believable_event_time_is_the_event_time() -> None:
    body = body_of("GatewayUnplugged")
    body["eventTime"] = "2026-03-01T10:00:00.250+01:00"
    assert normalized(body)["time"] == "2026-03-01T09:00:00.250Z"


def test_the_1970_event_time_of_the_examples_gives_way_to_the_signed_send_time() -> None:
    event = normalized(body_of("GatewayUnplugged"), {"x-samsara-timestamp": "1761896350"})
    assert event["time"] == "2025-10-31T07:39:10.000Z"


def test_without_a_send_time_the_receive_time_stands_in() -> None:
    event = normalized(body_of("GatewayUnplugged"), {})
    assert event["time"] == event["receivedtime"] == "2025-10-31T07:39:11.000Z"


def test_an_event_time_that_is_not_a_time_is_dead_lettered() -> None:
    body = body_of("GatewayUnplugged")
    body["eventTime"] = "yesterday"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-time"
    assert "eventTime" in reason


def test_a_speeding_start_time_outside_the_sane_years_is_dead_lettered() -> None:
    body = body_of("SpeedingEventStarted")
    body["data"]["startTime"] = "1970-01-20T06:39:05.683Z"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-time"
    assert "startTime" in reason


# Dead letters and pings -------------------------------------------------------------------


def test_the_invalid_1_0_example_is_dead_lettered_with_the_syntax_error() -> None:
    assert (SAMPLES / PROVIDER / "Alert.invalid.json") in invalid_samples(PROVIDER)
    kind, reason = dead_letter(PROVIDER, sample(PROVIDER, "Alert.invalid"))
    assert kind == "invalid-json"
    assert "not valid JSON" in reason


def test_a_1_0_alert_is_unsupported_with_the_reason() -> None:
    body = {
        "eventId": "bf72239c-bebd-4c22-b64c-6fc692ef7c46",
        "eventMs": 1587597109477,
        "eventType": "Alert",
        "event": {"alertConditionId": "DeviceLocationInsideGeofence", "details": "Truck 1 entered"},
    }
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "unsupported-event"
    assert "1.0 Alert" in reason


@pytest.mark.parametrize(
    "event_type",
    [
        "DriverCreated",
        "DriverUpdated",
        "VehicleCreated",
        "VehicleUpdated",
        "AlertIncident",
        "Teleported",
    ],
)
def test_events_without_a_mapping_are_unsupported_and_named(event_type: str) -> None:
    body = body_of("GatewayUnplugged")
    body["eventType"] = event_type
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "unsupported-event"
    assert repr(event_type) in reason


def test_a_known_event_missing_its_data_is_an_invalid_payload() -> None:
    body = body_of("GatewayUnplugged")
    del body["data"]
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "data" in reason


def test_a_ping_writes_nothing_and_is_counted() -> None:
    [path] = ping_samples(PROVIDER)
    before = metrics.PINGS.labels(PROVIDER)._value.get()
    assert transform(PROVIDER, path.read_bytes()) == []
    assert metrics.PINGS.labels(PROVIDER)._value.get() == before + 1


def test_a_ping_with_odd_fields_is_still_a_ping() -> None:
    body = {"eventId": 7, "eventMs": "soon", "eventType": "Ping", "event": {"anything": [1]}}
    assert transform(PROVIDER, encode(body)) == []


def test_the_same_delivery_gives_the_same_ids() -> None:
    first = events(body_of("EngineFaultOn"))
    again = events(body_of("EngineFaultOn"))
    assert [e["id"] for e in first] == [e["id"] for e in again]


# Whatever arrives, the normalizer answers with events, a dead letter or a ping --------------
