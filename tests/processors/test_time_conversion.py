"""Occurrence times through the normalizers: any offset and format gives the same UTC instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import azuga, zubie
from tests.support.samples import sample

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2099, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def record(provider: str, body: bytes) -> RawRecord:
    return RawRecord(
        provider=provider,
        source=provider,
        key="k",
        body=body,
        headers={},
        received_at="2025-01-01T00:00:00.000Z",
    )


def zubie_time(timestamp: str) -> str:
    body = json.loads(sample("zubie", "trip_start"))
    body["timestamp"] = timestamp
    [event] = zubie.normalize(record("zubie", json.dumps(body).encode()))
    return event.time


def azuga_time(event_time: float) -> str:
    body = json.loads(sample("azuga", "VEHICLE_PAIRING"))
    body["eventInfo"]["eventTime"] = event_time
    [event] = azuga.normalize(record("azuga", json.dumps(body).encode()))
    return event.time


def rfc3339_ms(moment: datetime) -> str:
    """The expected canonical form, computed independently of processors.timestamps."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def written(local: datetime, style: str) -> str:
    """`local` as a provider might write it."""
    if style == "basic-offset":  # +0400
        text = local.isoformat(timespec="seconds")
        return text[:-3] + text[-2:]
    if style == "space":
        return local.isoformat(sep=" ", timespec="seconds")
    if style == "z" and local.utcoffset() == timedelta(0):
        return local.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if style == "ticks":  # .NET's seven fractional digits
        return local.strftime("%Y-%m-%dT%H:%M:%S.%f") + "7" + local.strftime("%z")
    return local.isoformat(timespec=style if style != "z" else "seconds")


@settings(deadline=None)
@given(
    moment=moments,
    zone=offsets | st.just(UTC),
    style=st.sampled_from(
        ["seconds", "milliseconds", "microseconds", "basic-offset", "space", "z", "ticks"]
    ),
)
def test_zubie_local_offsets_become_the_same_utc_instant(
    moment: datetime, zone: timezone, style: str
) -> None:
    instant = moment.replace(tzinfo=UTC)
    text = written(instant.astimezone(zone), style)
    expected = (
        instant
        if style not in {"seconds", "basic-offset", "space", "z"}
        else (instant.replace(microsecond=0))
    )
    assert zubie_time(text) == rfc3339_ms(expected)


@settings(deadline=None)
@given(moment=moments)
def test_zubie_timestamp_without_a_zone_is_utc(moment: datetime) -> None:
    assert zubie_time(moment.isoformat()) == rfc3339_ms(moment.replace(tzinfo=UTC))


@settings(deadline=None)
@given(milliseconds=st.integers(min_value=978_393_600_000, max_value=4_102_358_400_000))
def test_azuga_epoch_milliseconds_are_utc(milliseconds: int) -> None:
    expected = EPOCH + timedelta(milliseconds=milliseconds)
    assert azuga_time(milliseconds) == rfc3339_ms(expected)


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+01:00",  # before the calendar once in UTC
        "9999-12-31T23:59:59-01:00",  # after it
        "1970-01-01T00:00:00Z",
        "2101-01-01T00:00:00Z",
        "2019-09-27T25:00:00-04:00",
        "27/09/2019 13:35:35",
    ],
)
def test_zubie_times_out_of_range_or_malformed_are_invalid_time(text: str) -> None:
    with pytest.raises(RejectedRecord) as rejected:
        zubie_time(text)
    assert rejected.value.kind == "invalid-time"
    assert text in str(rejected.value)


@pytest.mark.parametrize("value", [1_751_994_924, 1e300, -1.0, 9e15])
def test_azuga_times_out_of_range_are_invalid_time(value: float) -> None:
    with pytest.raises(RejectedRecord) as rejected:
        azuga_time(value)
    assert rejected.value.kind == "invalid-time"
    assert "eventInfo.eventTime" in str(rejected.value)
