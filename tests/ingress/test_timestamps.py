"""The received-at stamp agrees with datetime's own RFC 3339 formatting, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ingress.timestamps import NS_PER_S, UtcMillis

# From 1970 to 2100, in nanoseconds.
instants = st.integers(min_value=0, max_value=4_102_444_800 * NS_PER_S)


def expected(now_ns: int) -> bytes:
    second, rest = divmod(now_ns, NS_PER_S)
    moment = datetime.fromtimestamp(second, UTC) + timedelta(microseconds=rest // 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z").encode()


@given(st.lists(instants, min_size=1, max_size=20))
def test_every_stamp_matches_datetime_whatever_came_before(moments: list[int]) -> None:
    stamps = UtcMillis()  # reused: the cached second must never leak into another second
    for now_ns in moments:
        assert stamps.format(now_ns) == expected(now_ns)


@given(instants, st.integers(min_value=0, max_value=2 * NS_PER_S))
def test_stamps_close_together_match_too(start: int, step: int) -> None:
    stamps = UtcMillis()
    for now_ns in (start, start + step, start + 2 * step):
        assert stamps.format(now_ns) == expected(now_ns)
