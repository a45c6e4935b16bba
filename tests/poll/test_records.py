"""A feed page as raw records: keys, values and headers, exactly as the processors expect."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire import envelope
from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from localgeotab import FEEDS, Fleet
from poll.devices import DeviceVins
from poll.records import PageContext, entity_time, newest_time, raw_records
from processors import geotab as geotab_normalizer
from schemas import geotab

FLEET = Fleet(devices=3, entities=None)
AT = b"2026-01-05T06:00:00.123Z"


def page(feed: str) -> PageContext:
    return PageContext("fleet", "geotab", feed, AT, b"req-1")


def vins() -> DeviceVins:
    cache = DeviceVins()
    cache.learn(FLEET.entity("Device", i) for i in range(FLEET.devices))
    return cache


@given(st.sampled_from(FEEDS[1:]), st.lists(st.integers(0, 10_000), max_size=20, unique=True))
def test_one_record_per_entity_keyed_by_type_id_and_version(feed: str, indexes: list[int]) -> None:
    entities = [FLEET.entity(feed, i) for i in indexes]
    records = raw_records(page(feed), entities, vins())
    keys = [
        f"{feed}:{e['id']}:{e['version']}" if e.get("version") else f"{feed}:{e['id']}"
        for e in entities
    ]
    assert [r.key for r in records] == [k.encode() for k in keys]
    assert [orjson.loads(r.value) for r in records] == entities
    # Deterministic: the same entities give the same bytes.
    again = raw_records(page(feed), [orjson.loads(r.value) for r in records], vins())
    assert [r.value for r in again] == [r.value for r in records]


def test_headers_carry_the_source_the_type_and_the_device_vin() -> None:
    [record] = raw_records(page("LogRecord"), [FLEET.entity("LogRecord", 4)], vins())
    assert dict(record.headers) == {
        envelope.SOURCE: b"fleet",
        envelope.PROVIDER: b"geotab",
        envelope.RECEIVED_AT: AT,
        envelope.REQUEST_ID: b"req-1",
        envelope.CONTENT_TYPE: b"application/json",
        geotab.TYPE_HEADER: b"LogRecord",
        geotab.DEVICE_VIN_HEADER: FLEET.entity("Device", 1)["vehicleIdentificationNumber"].encode(),
    }


def test_no_vin_header_for_unknown_devices_nor_on_devices() -> None:
    stranger = {**FLEET.entity("Trip", 1), "device": {"id": "bFFFF"}}
    [trip] = raw_records(page("Trip"), [stranger], vins())
    [device] = raw_records(page("Device"), [FLEET.entity("Device", 0)], vins())
    assert geotab.DEVICE_VIN_HEADER not in dict(trip.headers)
    assert geotab.DEVICE_VIN_HEADER not in dict(device.headers)


def test_an_entity_without_id_is_keyed_by_its_body() -> None:
    [a] = raw_records(page("LogRecord"), [{"dateTime": "2026-01-05T06:00:00Z"}], {})
    [b] = raw_records(page("LogRecord"), [{"dateTime": "2026-01-05T06:00:00Z"}], {})
    assert a.key == b.key
    assert a.key.startswith(b"LogRecord:sha256:")


def test_the_device_cache_follows_the_device_feed_and_lookups() -> None:
    cache = vins()
    entities = [FLEET.entity("LogRecord", 0), {"id": "x", "device": {"id": "bNEW"}}]
    assert cache.to_look_up(entities) == ["bNEW"]
    cache.looked_up("bNEW")  # asked Geotab once, found nothing: not asked again
    assert cache.to_look_up(entities) == []
    cache.learn([{"id": "bNEW", "vehicleIdentificationNumber": " 1FTEW1E53JFA12345 "}])
    assert cache["bNEW"] == "1FTEW1E53JFA12345"
    cache.learn([{"id": "bNEW", "vehicleIdentificationNumber": ""}])  # VIN removed
    assert "bNEW" not in cache


def test_entity_times() -> None:
    log, trip = FLEET.entity("LogRecord", 2), FLEET.entity("Trip", 3)
    exception = FLEET.entity("ExceptionEvent", 3)
    assert entity_time("LogRecord", log) == FLEET.moment(2).timestamp()
    assert entity_time("Trip", trip) == FLEET.moment(3).timestamp()  # its stop
    ended = entity_time("ExceptionEvent", exception)
    assert ended is not None
    assert ended > FLEET.moment(3).timestamp()  # its end, not its start
    assert entity_time("Device", FLEET.entity("Device", 0)) is None  # in service till 2050
    logs = [FLEET.entity("LogRecord", i) for i in (2, 7, 1)]
    assert newest_time("LogRecord", logs) == FLEET.moment(7).timestamp()
    assert newest_time("LogRecord", []) is None


@given(st.sampled_from(FEEDS), st.integers(0, 10_000))
def test_the_normalizer_takes_what_the_poller_writes(feed: str, index: int) -> None:
    entity = FLEET.entity(feed, index % FLEET.devices if feed == "Device" else index)
    [out] = raw_records(page(feed), [entity], vins())
    record = RawRecord.from_kafka("geotab", out.key, out.value, out.headers)
    rule = entity.get("rule", {}).get("id")
    if feed == "ExceptionEvent" and rule not in geotab_normalizer.RULES:
        with pytest.raises(RejectedRecord):  # a rule without a canonical event: dead letter
            geotab_normalizer.normalize(record)
        return
    [event] = geotab_normalizer.normalize(record)
    device = FLEET.entity("Device", int(entity.get("device", entity)["id"][1:], 16) - 1)
    assert event.subject == f"vin:{device['vehicleIdentificationNumber']}"


def test_an_entity_changed_in_place_is_a_new_delivery_and_one_read_again_is_not() -> None:
    event = FLEET.entity("ExceptionEvent", 3)
    changed = {**event, "version": "00000000000000ff", "activeTo": "2026-01-01T00:00:00.000Z"}
    [first], [again], [update] = (
        raw_records(page("ExceptionEvent"), [e], vins()) for e in (event, dict(event), changed)
    )
    assert first.key == again.key
    assert update.key != first.key
    assert update.key.startswith(f"ExceptionEvent:{event['id']}:".encode())
