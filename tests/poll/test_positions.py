"""The version-token bookkeeping: what is committed is exactly where a feed resumes."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from poll.positions import Cursor, encode_position, position_key, restore

WHEN = "2026-01-05T06:00:00.000Z"


class ModelFeed:
    """A feed with opaque versions: nothing about a token tells where it points."""

    def __init__(self, size: int) -> None:
        self.entities = [f"e{i}" for i in range(size)]
        self._tokens: dict[str, int] = {}

    def get_feed(self, version: str | None, limit: int) -> tuple[list[str], str]:
        start = 0 if version is None else self._tokens[version]
        end = min(len(self.entities), start + limit)
        token = uuid.uuid4().hex  # a new token even for the same place, as Geotab may
        self._tokens[token] = end
        return self.entities[start:end], token


# What happens to one page: committed and remembered, never committed (killed before the
# commit), or committed but the process killed before it noted the commit in memory.
OUTCOMES = st.sampled_from(["ok", "killed-before-commit", "killed-after-commit"])


@given(
    size=st.integers(0, 60),
    steps=st.lists(st.tuples(st.integers(1, 9), OUTCOMES), max_size=40),
    other=st.lists(st.tuples(st.sampled_from(["x:LogRecord", "fleet2:LogRecord"]), st.text())),
)
def test_kills_at_any_point_neither_lose_nor_repeat(
    size: int, steps: list[tuple[int, str]], other: list[tuple[str, str]]
) -> None:
    feed = ModelFeed(size)
    log: list[tuple[bytes | None, bytes | None]] = [
        (k.encode(), encode_position(v or "v", WHEN)) for k, v in other
    ]
    written: list[str] = []  # the committed raw records, in order

    def start() -> Cursor:
        return Cursor("LogRecord", restore(log, "fleet").get("LogRecord"))

    def commit(records: list[str], token: str) -> None:
        written.extend(records)  # one transaction: the records and the position together
        log.append((position_key("fleet", "LogRecord"), encode_position(token, WHEN)))

    cursor = start()
    for limit, outcome in [*steps, *[(9, "ok")] * (size // 9 + 2)]:
        entities, token = feed.get_feed(cursor.request()[0], limit)
        if outcome == "killed-before-commit":
            cursor = start()
            continue
        if entities or cursor.moved(token):
            commit(entities, token)
        if outcome == "killed-after-commit":
            cursor = start()
            continue
        cursor.committed(token)
    assert written == feed.entities


@given(st.lists(st.tuples(st.sampled_from(["Trip", "Device"]), st.text(min_size=1)), min_size=1))
def test_the_last_committed_position_of_a_feed_wins(moves: list[tuple[str, str]]) -> None:
    log = [(position_key("fleet", feed), encode_position(v, WHEN)) for feed, v in moves]
    expected = dict(moves)  # later ones overwrite
    assert restore(log, "fleet") == expected


def test_other_sources_tombstones_and_unreadable_values() -> None:
    log: list[tuple[bytes | None, bytes | None]] = [
        (position_key("fleet", "Trip"), encode_position("t1", WHEN)),
        (position_key("fleet-2", "Trip"), encode_position("other", WHEN)),  # a longer name
        (position_key("fleet", "Device"), encode_position("d1", WHEN)),
        (position_key("fleet", "Device"), None),  # forgotten: starts afresh
        (position_key("fleet", "FaultData"), b"not json"),
        (position_key("fleet", "LogRecord"), b'{"version": ""}'),
        (None, b"{}"),
    ]
    assert restore(log, "fleet") == {"Trip": "t1"}


def test_from_date_is_asked_for_only_until_there_is_a_version() -> None:
    cursor = Cursor("LogRecord", None, "2024-05-01T00:00:00.000Z")
    assert cursor.request() == (None, "2024-05-01T00:00:00.000Z")
    assert cursor.moved("v1")
    cursor.committed("v1")
    assert cursor.request() == ("v1", None)
    assert not cursor.moved("v1")
