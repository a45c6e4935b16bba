"""Dead letters as replay sees them: selection and the headers a replay carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fleetwire.topics import TopicNames
from processors.dead_letter import DeadLetter, Selection
from processors.output import InRecord, Transformer, _has_long_digit_run
from tests.support.backlog import raw
from tests.support.providers import NORMALIZERS
from tests.support.samples import sample

TOPICS = TopicNames("p")
ORIGINAL = raw(sample("zubie", "trip_over_speeding.invalid"))


def dead_letter(kind: str = "invalid-json", failed_at: datetime | None = None) -> DeadLetter:
    """A dead letter as the processor writes it, for a record the ingress wrote."""
    original = ORIGINAL
    record = InRecord(
        topic=TOPICS.raw("zubie"),
        partition=4,
        offset=1234,
        key=original.key,
        value=original.value,
        headers=original.headers,
    )
    out = Transformer(TOPICS, NORMALIZERS).dead_letter(record, "zubie", kind, "why")
    headers = out.headers
    if failed_at is not None:
        stamp = failed_at.isoformat().replace("+00:00", "Z").encode()
        headers = [(k, stamp if k == "fleetwire-failed-at" else v) for k, v in headers]
    return DeadLetter(out.topic, 0, 77, out.key, out.value, headers)


def test_a_replay_carries_the_ingress_headers_and_where_it_came_from() -> None:
    letter = dead_letter()
    headers = letter.replay_headers()
    names = [name for name, _ in headers]
    assert not [n for n in names if n.startswith("fleetwire-error")]
    assert "fleetwire-failed-at" not in names
    assert not [n for n in names if n.startswith("fleetwire-original-")]
    assert headers[:-1] == ORIGINAL.headers
    assert (letter.key, letter.value) == (ORIGINAL.key, ORIGINAL.value)
    assert headers[-1] == ("fleetwire-replay-of", b"p.dlq.zubie[0]@77")


def test_a_replay_of_a_replay_names_only_the_latest_dead_letter() -> None:
    letter = dead_letter()
    again = DeadLetter(
        "p.dlq.zubie",
        0,
        90,
        letter.key,
        letter.value,
        [*letter.headers, ("fleetwire-replay-of", b"p.dlq.zubie[0]@3")],
    )
    replay_of = [v for k, v in again.replay_headers() if k == "fleetwire-replay-of"]
    assert replay_of == [b"p.dlq.zubie[0]@90"]


def test_kind_and_time_are_read_from_the_headers() -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    letter = dead_letter("unsupported-event", moment)
    assert letter.kind == "unsupported-event"
    assert letter.failed_at == moment
    assert letter.reason == "why"


def test_everything_is_selected_by_default() -> None:
    assert Selection().matches(dead_letter())
    broken = DeadLetter("p.dlq.zubie", 0, 1, b"k", b"v", [])
    assert Selection().matches(broken)
    assert broken.kind == "unknown"


def test_kinds_select_by_error_kind() -> None:
    selection = Selection(kinds=frozenset({"unsupported-event", "no-subject"}))
    assert selection.matches(dead_letter("unsupported-event"))
    assert not selection.matches(dead_letter("invalid-json"))


BASE = datetime(2024, 5, 1, tzinfo=UTC)
minutes = st.integers(-10_000, 10_000).map(lambda m: BASE + timedelta(minutes=m))


@given(failed=minutes, since=st.none() | minutes, until=st.none() | minutes)
def test_a_time_range_includes_its_start_and_excludes_its_end(
    failed: datetime, since: datetime | None, until: datetime | None
) -> None:
    expected = (since is None or since <= failed) and (until is None or failed < until)
    assert Selection(since=since, until=until).matches(dead_letter(failed_at=failed)) == expected


def test_a_dead_letter_without_a_time_is_outside_every_time_range() -> None:
    timeless = DeadLetter("p.dlq.zubie", 0, 1, b"k", b"v", [])
    assert not Selection(since=BASE).matches(timeless)
    assert not Selection(until=BASE).matches(timeless)


@given(st.binary(max_size=200) | st.from_regex(rb"[0-9a ]{0,60}", fullmatch=True))
def test_the_long_digit_check_finds_exactly_runs_of_twenty_digits(value: bytes) -> None:
    assert _has_long_digit_run(value) == bool(re.search(rb"[0-9]{20}", value))
