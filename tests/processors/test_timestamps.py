from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.errors import RejectedRecord
from processors.timestamps import format_utc, from_epoch_ms, iso_utc, parse_iso


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-09-27T13:35:35-04:00", "2019-09-27T17:35:35.000Z"),
        ("2025-05-13T13:18:13.2017310Z", "2025-05-13T13:18:13.201Z"),
        ("2025-05-13T13:18:13", "2025-05-13T13:18:13.000Z"),  # no zone: UTC
        ("2019-09-27T13:10:14+05:30", "2019-09-27T07:40:14.000Z"),
    ],
)
def test_iso_times_become_utc(text: str, expected: str) -> None:
    assert iso_utc(text, "t") == expected


def test_epoch_milliseconds() -> None:
    assert format_utc(from_epoch_ms(1_700_000_000_123, "t")) == "2023-11-14T22:13:20.123Z"


@pytest.mark.parametrize("text", ["1970-01-01T00:00:00Z", "not a time", "2019-13-45T00:00:00Z"])
def test_nonsense_is_rejected(text: str) -> None:
    with pytest.raises(RejectedRecord):
        parse_iso(text, "t")


@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_any_offset_converts_to_the_same_instant(moment: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    assert parse_iso(local.isoformat(), "t") == moment.replace(tzinfo=UTC)
    assert iso_utc(local.isoformat(), "t").endswith("Z")


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_times_at_the_edge_of_datetime_are_rejected_not_crashed(text: str) -> None:
    with pytest.raises(RejectedRecord, match="outside"):
        parse_iso(text, "t")


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), UTC]),
    )
)
def test_format_utc_is_the_millisecond_rfc3339_form(moment: datetime) -> None:
    in_utc = moment.astimezone(UTC)
    expected = in_utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{in_utc.microsecond // 1000:03d}Z"
    # strftime leaves years below 1000 unpadded on some platforms; RFC 3339 pads them.
    expected = f"{in_utc.year:04d}{expected[expected.index('-') :]}"
    assert format_utc(moment) == expected


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T10:00:00.1234567Z", " 2024-05-01T10:00:00.1234567Z\n", "20240501T100000.1234567Z"],
)
def test_seven_digit_fractions_are_cut_to_microseconds(text: str) -> None:
    assert parse_iso(text, "t") == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
