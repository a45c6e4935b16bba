"""Zubie normalization, rule by rule (the samples against their golden files: the
conformance suite, tests/providers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from processors.units import KM_PER_MILE
from schemas.catalog import EVENT_TYPES
from tests.support.golden import canonical_events, dead_letter, transform
from tests.support.samples import SAMPLES, invalid_samples, sample, valid_samples

PROVIDER = "zubie"


def body_of(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(PROVIDER, name))
    return loaded


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    [event] = canonical_events(PROVIDER, encode(body))
    return event


def test_every_zubie_event_has_a_sample() -> None:
    from schemas.zubie import EVENTS

    named = {json.loads(p.read_bytes())["event"] for p in valid_samples(PROVIDER)}
    assert named == EVENTS
    assert len(EVENTS) == 20


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("vehicle_geofence_departure.invalid", "trailing characters"),
        ("vehicle_maintenance.invalid", "expected ',' or '}'"),
        ("trip_over_speeding.invalid", "expected ',' or '}'"),
    ],
)
def test_invalid_json_samples_are_dead_lettered_with_the_syntax_error(
    name: str, problem: str
) -> None:
    assert (SAMPLES / PROVIDER / f"{name}.json") in invalid_samples(PROVIDER)
    kind, reason = dead_letter(PROVIDER, sample(PROVIDER, name))
    assert kind == "invalid-json"
    assert "not valid JSON" in reason
    assert problem in reason


def test_unknown_event_type_is_unsupported_and_named() -> None:
    body = body_of("trip_end")
    body["event"] = "trip_teleported"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "unsupported-event"
    assert "'trip_teleported'" in reason


def test_missing_defining_object_is_an_invalid_payload_naming_it() -> None:
    body = body_of("vehicle_trouble_code")
    del body["trouble_code"]
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "vehicle_trouble_code" in reason
    assert "`trouble_code`" in reason


def test_wrong_type_is_an_invalid_payload_naming_the_path() -> None:
    body = body_of("trip_end")
    body["trip"]["distance"] = "far"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "$.trip.distance" in reason


def test_out_of_range_latitude_is_an_invalid_payload() -> None:
    body = body_of("vehicle_location_update")
    body["car"]["latitude"] = 132.8
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "$.car.latitude" in reason


def test_unreadable_timestamp_is_an_invalid_time() -> None:
    body = body_of("trip_start")
    body["timestamp"] = "last Tuesday"
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-time"
    assert "last Tuesday" in reason


def test_location_update_without_a_position_is_an_invalid_payload() -> None:
    body = body_of("vehicle_location_update")
    body["car"]["latitude"] = None
    kind, reason = dead_letter(PROVIDER, encode(body))
    assert kind == "invalid-payload"
    assert "no position" in reason


# Time -----------------------------------------------------------------------------------


def test_time_is_the_body_timestamp_in_utc_not_the_trip_times() -> None:
    body = body_of("trip_tagged")  # body +00:00, trip times -04:00
    event = normalized(body)
    assert event["time"] == "2019-09-27T20:29:15.000Z"
    assert event["data"]["trip"]["ended_at"] == "2019-09-27T17:35:35.000Z"


def test_timestamp_without_a_zone_is_utc() -> None:
    body = body_of("trip_start")
    body["timestamp"] = "2019-09-27 13:00:00"
    assert normalized(body)["time"] == "2019-09-27T13:00:00.000Z"


# Units ----------------------------------------------------------------------------------


def test_distances_and_speeds_are_converted_from_miles_and_mph() -> None:
    body = body_of("trip_end")
    trip = normalized(body)["data"]["trip"]
    assert trip["distance_km"] == pytest.approx(body["trip"]["distance"] * KM_PER_MILE, abs=1e-3)
    assert trip["max_speed_kmh"] == pytest.approx(body["trip"]["max_speed"] * KM_PER_MILE, abs=1e-3)
    assert trip["duration_s"] == 35 * 60 + 35


def test_point_speed_and_acceleration_are_converted() -> None:
    body = body_of("trip_severe_hard_brake")
    data = normalized(body)["data"]
    speed = body["point"]["speed"] * KM_PER_MILE
    assert data["point"]["speed_kmh"] == pytest.approx(speed, abs=1e-3)
    assert data["location"]["speed_kmh"] == pytest.approx(speed, abs=1e-3)
    assert data["point"]["acceleration_kmh_per_s"] == pytest.approx(
        body["point"]["acceleration"] * KM_PER_MILE, abs=1e-3
    )


def test_battery_level_is_a_voltage_never_a_state_of_charge() -> None:
    body = body_of("vehicle_low_battery")
    data = normalized(body)["data"]
    assert data["battery_voltage"] == body["vehicle"]["battery_level"]
    assert "soc" not in json.dumps(data).lower()


# Subject and vehicle ----------------------------------------------------------------------


def test_vin_is_uppercased_and_becomes_the_subject_when_valid() -> None:
    body = body_of("trip_end")
    body["car"]["vin"] = " 5fnrl38249b044393 "
    event = normalized(body)
    assert event["subject"] == "vin:5FNRL38249B044393"
    assert event["data"]["vehicle"]["vin"] == "5FNRL38249B044393"
    assert event["data"]["vehicle"]["vin_valid"] is True


def test_invalid_vin_is_kept_but_the_vehicle_key_is_the_subject() -> None:
    body = body_of("trip_end")
    body["car"]["vin"] = "5FNRL38249B044394"  # wrong check digit
    event = normalized(body)
    assert event["subject"] == f"zubie:vehicle:{body['car']['key']}"
    assert event["data"]["vehicle"]["vin"] == "5FNRL38249B044394"
    assert event["data"]["vehicle"]["vin_valid"] is False


def test_car_id_keys_the_event_when_there_is_no_key() -> None:
    body = body_of("trip_end")
    body["car"]["vin"] = None
    del body["car"]["key"]
    assert normalized(body)["subject"] == f"zubie:vehicle:{body['car']['id']}"


def test_a_valid_vin_wins_over_every_fallback() -> None:
    body = body_of("trip_end")
    body["car"] = {"vin": body["car"]["vin"]}  # no key, no id; the trip still has a key
    assert normalized(body)["subject"] == f"vin:{body['car']['vin']}"


def test_events_without_a_vehicle_fall_back_to_device_then_trip() -> None:
    assert normalized(body_of("device_reconnect"))["subject"] == "zubie:device:182400007"
    assert normalized(body_of("trip_tagged"))["subject"] == "zubie:trip:sample_trip_key"


def test_no_identifier_at_all_is_dead_lettered_as_no_subject() -> None:
    body = body_of("trip_tagged")
    body["trip"]["key"] = None
    body["trip"]["id"] = None
    kind, _ = dead_letter(PROVIDER, encode(body))
    assert kind == "no-subject"


def test_device_serial_is_among_the_vehicle_identifiers() -> None:
    body = body_of("device_unplug")
    vehicle = normalized(body)["data"]["vehicle"]
    assert vehicle["device_id"] == body["device"]["serial"]
    assert vehicle["provider_key"] == body["vehicle"]["key"]


def original_of(variant: Path) -> Path:
    name = variant.stem.removeprefix("variant-").rsplit("-", 1)[0]
    return SAMPLES / PROVIDER / f"{name}.json"


@pytest.mark.parametrize(
    "variant",
    [
        p
        for p in valid_samples(PROVIDER)
        if p.stem.startswith("variant-") and original_of(p).exists()
    ],
    ids=lambda p: p.stem,
)
def test_car_and_vehicle_forms_normalize_alike(variant: Path) -> None:
    """Each variant is its sample with the other vehicle form; only `car.id` may differ."""
    [a] = canonical_events(PROVIDER, original_of(variant).read_bytes())
    [b] = canonical_events(PROVIDER, variant.read_bytes())
    for event in (a, b):
        del event["id"], event["traceparent"]  # both are the delivery's own
        event["data"]["vehicle"].pop("provider_id")
    assert a == b


def test_harsh_braking_severity_follows_the_event() -> None:
    assert normalized(body_of("trip_hard_brake"))["data"]["severity"] == "normal"
    assert normalized(body_of("trip_severe_hard_brake"))["data"]["severity"] == "severe"


def test_speeding_trip_shape_fills_the_same_trip_fields() -> None:
    body = json.loads((SAMPLES / PROVIDER / "variant-trip_over_speeding-car.json").read_bytes())
    data = normalized(body)["data"]
    trip = data["trip"]
    assert trip["started_at"] == "2019-09-27T20:41:47.000Z"
    assert trip["start_location"] == pytest.approx(
        {
            "latitude": 44.444,
            "longitude": -93.144383,
            "address": None,
            "heading_deg": None,
            "speed_kmh": None,
        }
    )
    assert trip["hard_brakes"] == body["trip"]["hard_brake_count"]
    assert trip["rapid_accelerations"] == body["trip"]["hard_accel_count"]
    assert trip["max_speed_kmh"] == pytest.approx(body["trip"]["top_speed"] * KM_PER_MILE, abs=1e-3)
    assert data["location"]["latitude"] == body["point"]["point"]["lat"]


def test_every_event_goes_to_its_domain_and_names_its_schema() -> None:
    for path in valid_samples(PROVIDER):
        for record in transform(PROVIDER, path.read_bytes()):
            event = json.loads(record.value)
            event_type = EVENT_TYPES[event["type"]]
            assert record.topic == f"golden.canonical.{event_type.domain}"
            assert record.key == event["subject"].encode()
            assert event["dataschema"] == event_type.schema_url


def test_invalid_utf8_inside_a_string_is_invalid_json() -> None:
    body = sample(PROVIDER, "trip_end").replace(b"HO787189", b"HO78\xff189")
    kind, reason = dead_letter(PROVIDER, body)
    assert kind == "invalid-json"
    # fleetwire's own words; what follows them is the decoder's, whose wording may change.
    assert reason.startswith("zubie trip_end is not valid JSON: ")
    assert len(reason) > len("zubie trip_end is not valid JSON: ")
