from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import geotab
from schemas.canonical import CanonicalEvent
from tests.support import geotab as feeds
from tests.support.golden import canonical_events
from tests.support.samples import sample, valid_samples

PROVIDER = "geotab"
VIN = "AM32W8FV9BU601382"  # the VIN of device b1 in Geotab's add-in mocks
RECEIVED_AT = "2019-03-08T07:00:00.000Z"


def record(
    body: bytes | dict[str, Any],
    feed: str | None,
    vin: str | None = None,
    key: str | None = None,
) -> RawRecord:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"fleetwire-provider": PROVIDER, "content-type": "application/json"}
    if feed is not None:
        headers["geotab-type"] = feed
    if vin is not None:
        headers["geotab-device-vin"] = vin
    return RawRecord(
        provider=PROVIDER,
        source="geotab-fleet",
        key=key or f"{feed}:entity",
        body=raw,
        headers=headers,
        received_at=RECEIVED_AT,
    )


def doc(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample(PROVIDER, name))
    return loaded


def one(body: dict[str, Any], feed: str, vin: str | None = VIN) -> CanonicalEvent:
    """The event of `body`, keyed as the poller keys it: `{typeName}:{entity id}`."""
    [event] = geotab.normalize(record(body, feed, vin, key=f"{feed}:{body.get('id')}"))
    return event


def rejection(body: bytes | dict[str, Any], feed: str | None, vin: str | None = VIN) -> Any:
    with pytest.raises(RejectedRecord) as caught:
        geotab.normalize(record(body, feed, vin))
    return caught.value


# Samples and golden files ----------------------------------------------------------------


# Each sample matches its golden file: the conformance suite (tests/providers).
@pytest.mark.parametrize("path", valid_samples(PROVIDER), ids=lambda p: p.stem)
def test_every_entity_is_one_event_named_after_its_feed(path: Path) -> None:
    [event] = canonical_events(PROVIDER, path.read_bytes())
    assert event["providereventtype"] == feeds.feed_of(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Device", "device.updated"),
        ("variant-LogRecord", "vehicle.location.updated"),
        ("variant-FaultData", "vehicle.dtc.detected"),
        ("variant-Trip", "vehicle.trip.ended"),
        ("variant-ExceptionEvent-harsh-braking", "driving.harsh_braking"),
        ("variant-ExceptionEvent-hard-acceleration", "driving.rapid_acceleration"),
        ("variant-ExceptionEvent-harsh-cornering", "driving.harsh_cornering"),
        ("variant-ExceptionEvent-speeding", "driving.speeding"),
    ],
)
def test_each_feed_and_rule_maps_to_its_canonical_type(name: str, expected: str) -> None:
    feed = feeds.feed_of(Path(name))
    assert one(doc(name), feed).type == expected


# Routing and dead letters ----------------------------------------------------------------


def test_a_record_without_the_feed_header_is_dead_lettered_saying_so() -> None:
    rejected = rejection(doc("variant-LogRecord"), None)
    assert rejected.kind == "invalid-payload"
    assert "geotab-type" in str(rejected)


def test_a_feed_without_a_canonical_type_is_an_unsupported_event() -> None:
    rejected = rejection({"id": "b9", "device": {"id": "b1"}, "data": 0.5}, "StatusData")
    assert rejected.kind == "unsupported-event"
    assert "StatusData" in str(rejected)


@pytest.mark.parametrize("rule", ["RuleSeatbeltId", "RuleIdlingId", "aJt467ee7rE288rop0Bb84w"])
def test_an_exception_of_another_rule_is_dead_lettered_naming_the_rule(rule: str) -> None:
    body = doc("variant-ExceptionEvent-harsh-braking")
    body["rule"] = {"id": rule}
    rejected = rejection(body, "ExceptionEvent")
    assert rejected.kind == "unsupported-event"
    assert repr(rule) in str(rejected)


def test_the_rule_may_be_written_as_a_bare_id() -> None:
    body = doc("variant-ExceptionEvent-harsh-cornering")
    body["rule"] = "RuleHarshCorneringId"
    assert one(body, "ExceptionEvent").type == "driving.harsh_cornering"


# Subject and vehicle ---------------------------------------------------------------------


def test_the_vin_header_keys_the_event_and_the_device_id_stays_in_data() -> None:
    event = one(doc("variant-LogRecord"), "LogRecord", vin=f" {VIN.lower()} ")
    assert event.subject == f"vin:{VIN}"
    assert event.data.vehicle.vin == VIN
    assert event.data.vehicle.vin_valid
    assert event.data.vehicle.device_id == "b1"


@pytest.mark.parametrize("vin", [None, "", "1002", "1HGCM82633A000001"])
def test_without_a_valid_vin_the_geotab_device_keys_the_event(vin: str | None) -> None:
    event = one(doc("variant-LogRecord"), "LogRecord", vin=vin)
    assert event.subject == "geotab:device:b1"
    assert event.data.vehicle.vin == (vin or None)
    assert not event.data.vehicle.vin_valid


def test_an_entity_with_neither_vin_nor_device_id_is_dead_lettered() -> None:
    body = doc("variant-LogRecord")
    body["device"] = {"id": " "}
    assert rejection(body, "LogRecord", vin=None).kind == "no-subject"


def test_a_device_reports_its_own_vin_name_plate_and_serial() -> None:
    event = one(doc("variant-Device-vin"), "Device", vin=None)
    assert event.subject == f"vin:{VIN}"
    vehicle = event.data.vehicle
    assert (vehicle.name, vehicle.registration, vehicle.device_id) == ("Beefo", "ZOM B389", "b1")
    assert event.data.device.serial == "G70000000000"
    # A Device has no time of its own: the event is when the poller fetched it.
    assert event.time == RECEIVED_AT


def test_a_device_without_a_vin_is_keyed_by_its_id() -> None:
    body = doc("Device")
    body["vehicleIdentificationNumber"] = ""
    event = one(body, "Device", vin=None)
    assert event.subject == "geotab:device:b0a46"
    assert event.data.vehicle.vin is None
    assert event.data.device_type == "GO6"


def test_a_device_with_neither_vin_nor_id_is_dead_lettered() -> None:
    body = doc("Device")
    body["id"] = " "
    assert rejection(body, "Device", vin=None).kind == "no-subject"


# Units and times -------------------------------------------------------------------------


def test_speeds_stay_kmh_and_the_position_is_the_log_record() -> None:
    event = one(doc("variant-LogRecord"), "LogRecord")
    location = event.data.location
    assert (location.latitude, location.longitude) == (43.722164154052734, -79.54488372802734)
    assert location.speed_kmh == 41
    assert event.time == "2019-03-07T22:30:45.063Z"


def test_trip_distance_is_km_and_its_timespans_are_seconds() -> None:
    event = one(doc("variant-Trip"), "Trip")
    trip = event.data.trip
    # 12.49 km in 22 min 44 s is the trip's own average speed, 32.98 km/h: km, not metres.
    assert trip.distance_km == 12.494
    assert trip.duration_s == 22 * 60 + 44
    assert trip.max_speed_kmh == 76
    assert trip.idle_time_s == 0
    assert (trip.started_at, trip.ended_at) == (
        "2019-03-07T22:08:01.063Z",
        "2019-03-07T22:30:45.063Z",
    )
    assert event.time == trip.ended_at
    assert event.data.location == trip.end_location
    assert (trip.end_location.latitude, trip.end_location.longitude) == (
        43.722164154052734,
        -79.54488372802734,
    )


def test_an_exception_event_spans_from_active_from_to_active_to() -> None:
    event = one(doc("variant-ExceptionEvent-speeding"), "ExceptionEvent")
    episode = event.data.episode
    assert event.time == episode.started_at == "2019-03-07T22:24:13.063Z"
    assert episode.ended_at == "2019-03-07T22:25:31.063Z"
    assert (episode.duration_s, episode.distance_km) == (78, 1.642)
    assert (episode.rule_id, episode.provider_event_id, episode.state) == (
        "RulePostedSpeedingId",
        "b4E04",
        "Valid",
    )


@pytest.mark.parametrize("unset", ["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", None])
def test_an_unset_end_of_an_exception_is_unknown(unset: str | None) -> None:
    body = doc("variant-ExceptionEvent-harsh-braking")
    body["activeTo"] = unset
    assert one(body, "ExceptionEvent").data.episode.ended_at is None


@pytest.mark.parametrize(
    ("name", "feed", "field"),
    [
        ("variant-LogRecord", "LogRecord", "dateTime"),
        ("variant-FaultData", "FaultData", "dateTime"),
        ("variant-Trip", "Trip", "stop"),
        ("variant-ExceptionEvent-harsh-braking", "ExceptionEvent", "activeFrom"),
    ],
)
def test_an_event_time_outside_the_sane_years_is_rejected(name: str, feed: str, field: str) -> None:
    body = doc(name)
    body[field] = "1970-01-01T00:00:00.000Z"
    assert rejection(body, feed).kind == "invalid-time"


def test_a_trip_that_stops_before_it_starts_is_rejected() -> None:
    body = doc("variant-Trip")
    body["stop"] = "2019-03-07T22:00:00.000Z"
    assert rejection(body, "Trip").kind == "invalid-time"


@given(
    st.integers(min_value=0, max_value=400),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=9_999_999),
)
def test_a_timespan_of_any_length_is_its_seconds(
    days: int, hours: int, minutes: int, seconds: int, ticks: int
) -> None:
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ticks:07d}"
    text = f"{days}.{text}" if days else text
    body = doc("variant-ExceptionEvent-harsh-braking")
    body["duration"] = text
    expected = days * 86400 + hours * 3600 + minutes * 60 + seconds + ticks / 10**7
    got = one(body, "ExceptionEvent").data.episode.duration_s
    assert got == pytest.approx(expected, abs=0.0005)


@pytest.mark.parametrize("text", ["22 minutes", "PT22M", "1:2", ""])
def test_a_duration_that_is_no_timespan_is_rejected(text: str) -> None:
    body = doc("variant-ExceptionEvent-harsh-braking")
    body["duration"] = text
    assert rejection(body, "ExceptionEvent").kind == "invalid-payload"


# Fault data --------------------------------------------------------------------------------


def test_a_fault_keeps_its_diagnostic_failure_mode_controller_and_state() -> None:
    dtc = one(doc("variant-FaultData"), "FaultData").data.dtc
    assert (dtc.code, dtc.failure_mode, dtc.controller, dtc.state) == (
        "a9WJfBvyUeEKwqMBmGiZGsQ",
        "NoFailureModeId",
        "ControllerObdPowertrainId",
        "Active",
    )


def test_a_diagnostic_with_its_code_and_name_gives_them() -> None:
    body = doc("variant-FaultData")
    body["diagnostic"] = {"id": "a9WJfBvyUeEKwqMBmGiZGsQ", "code": 190, "name": "Engine speed"}
    body["failureMode"] = {"id": "aFmi2", "code": 2}
    dtc = one(body, "FaultData").data.dtc
    assert (dtc.code, dtc.description, dtc.failure_mode) == ("190", "Engine speed", "2")


def test_a_fault_without_a_diagnostic_is_rejected() -> None:
    body = doc("variant-FaultData")
    body["diagnostic"] = ""
    assert rejection(body, "FaultData").kind == "invalid-payload"


# Trip versions -----------------------------------------------------------------------------


def latest_per_trip(events: list[CanonicalEvent]) -> dict[str, CanonicalEvent]:
    """What docs/normalization.md tells a consumer to keep: per trip key, the latest stop."""
    kept: dict[str, CanonicalEvent] = {}
    for event in events:
        key = event.data.trip.key
        if key not in kept or event.data.trip.ended_at > kept[key].data.trip.ended_at:
            kept[key] = event
    return kept


def test_versions_of_one_trip_share_its_key_and_keep_their_own_ids() -> None:
    earlier = one(doc("variant-Trip-in-progress"), "Trip")
    later = one(doc("variant-Trip"), "Trip")
    assert earlier.data.trip.key == later.data.trip.key == "b1/2019-03-07T22:08:01.063Z"
    assert earlier.data.trip.id != later.data.trip.id
    assert earlier.id != later.id
    assert earlier.subject == later.subject  # one partition, in feed order


@given(st.permutations(["variant-Trip-in-progress", "variant-Trip"]), st.integers(1, 3))
def test_whatever_order_versions_arrive_in_the_latest_stop_wins(
    names: list[str], repeats: int
) -> None:
    events = [one(doc(name), "Trip") for name in names for _ in range(repeats)]
    [kept] = latest_per_trip(events).values()
    assert kept.data.trip.id == "b5504186"
    assert kept == one(doc("variant-Trip"), "Trip")  # the same entity, the same event


def test_the_same_entity_always_gives_the_same_event() -> None:
    body = sample(PROVIDER, "variant-Trip")
    first = geotab.normalize(record(body, "Trip", VIN, key="Trip:b5504186"))
    again = geotab.normalize(record(body, "Trip", VIN, key="Trip:b5504186"))
    other = geotab.normalize(record(body, "Trip", VIN, key="Trip:b5504181"))
    assert first == again
    assert first[0].id != other[0].id


# Never crash -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", valid_samples(PROVIDER), ids=lambda p: p.stem)
def test_each_sample_is_delivered_with_the_headers_the_poller_would_write(path: Path) -> None:
    written = json.loads(path.with_suffix(".headers").read_text())
    assert written == feeds.headers(feeds.feed_of(path), path.read_bytes())
