"""Properties every normalizer keeps, whatever it is given.

A normalizer returns canonical events or raises RejectedRecord: never anything else, for
arbitrary bytes, arbitrary JSON or a provider sample damaged anywhere. The same delivery
always yields the same ids, however often it is retried.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors.event import ID_NAMESPACE, event_id
from schemas.canonical import CanonicalEvent
from schemas.catalog import EVENT_TYPES
from tests.support.providers import NORMALIZERS
from tests.support.samples import valid_samples

PROVIDERS = sorted(NORMALIZERS)
KINDS = {
    "invalid-json",
    "invalid-payload",
    "unsupported-event",
    "invalid-time",
    "no-subject",
    "too-large",
}
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

# Values a provider field plausibly holds, edge cases included, so that damage often gets
# past decoding and into the time, unit and subject rules.
plausible_values = st.one_of(
    st.none(),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["", " ", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1970-01-01T00:00Z"]
    ),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(min_value=-1e6, max_value=1e6),
    json_values,
)


def record(
    provider: str, body: bytes, key: str = "delivery-1", received_at: str = "2025-01-01T00:00:00Z"
) -> RawRecord:
    return RawRecord(
        provider=provider,
        source=f"{provider}-main",
        key=key,
        body=body,
        headers={},
        received_at=received_at,
    )


def normalize_or_reject(provider: str, body: bytes) -> list[CanonicalEvent] | RejectedRecord:
    try:
        return NORMALIZERS[provider](record(provider, body))
    except RejectedRecord as exc:
        return exc


def assert_well_formed(result: list[CanonicalEvent] | RejectedRecord) -> None:
    if isinstance(result, RejectedRecord):
        assert result.kind in KINDS, result.kind
        assert str(result)
        return
    for ev in result:
        event_type = EVENT_TYPES[ev.type]
        assert UTC_TIME.match(ev.time), ev.time
        assert ev.subject
        assert ev.dataschema == event_type.schema_url
        # What is written decodes again as the type's published struct.
        msgspec.json.decode(msgspec.json.encode(ev.data), type=event_type.data)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def damaged_samples(draw: st.DrawFn, provider: str) -> bytes:
    """A valid sample with one to three values replaced by other values or removed."""
    path: Path = draw(st.sampled_from(valid_samples(provider)))
    body = json.loads(path.read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(body)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths))
        target = body
        for step in parents:
            target = target[step]
        if draw(st.booleans()):
            target[last] = draw(plausible_values)
        else:
            del target[last]
    return json.dumps(body).encode()


@pytest.mark.parametrize("provider", PROVIDERS)
@SETTINGS
@given(body=st.binary(max_size=300))
@example(body=b'"\x80"')  # invalid UTF-8 in a string: msgspec raises UnicodeDecodeError
@example(body=b'{"event": "\x80", "messageType": "\xff"}')
def test_arbitrary_bytes_never_crash(provider: str, body: bytes) -> None:
    assert_well_formed(normalize_or_reject(provider, body))


@pytest.mark.parametrize("provider", PROVIDERS)
@SETTINGS
@given(value=json_values)
def test_arbitrary_json_never_crashes(provider: str, value: Any) -> None:
    assert_well_formed(normalize_or_reject(provider, json.dumps(value).encode()))


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(SETTINGS, max_examples=300)
@given(data=st.data())
def test_damaged_samples_never_crash(provider: str, data: st.DataObject) -> None:
    body = data.draw(damaged_samples(provider))
    assert_well_formed(normalize_or_reject(provider, body))


def ids_or_rejection(
    provider: str, body: bytes, key: str, received_at: str = "2025-01-01T00:00:00Z"
) -> list[str] | tuple[str, str]:
    try:
        events = NORMALIZERS[provider](record(provider, body, key, received_at))
    except RejectedRecord as rejected:
        return rejected.kind, str(rejected)
    return [ev.id for ev in events]


@pytest.mark.parametrize("provider", PROVIDERS)
@SETTINGS
@given(data=st.data(), key=st.text(min_size=1, max_size=64), other=st.text(min_size=1, max_size=64))
def test_the_same_delivery_always_yields_the_same_ids(
    provider: str, data: st.DataObject, key: str, other: str
) -> None:
    path: Path = data.draw(st.sampled_from(valid_samples(provider)))
    body = path.read_bytes()
    ids = ids_or_rejection(provider, body, key)
    assert ids == ids_or_rejection(provider, body, key, received_at="2025-06-01T12:00:00Z")
    if isinstance(ids, tuple):
        return  # a valid sample that is no event (e.g. a handshake), rejected alike each time
    assert ids == [event_id(record(provider, body, key), i) for i in range(len(ids))]
    assert len(set(ids)) == len(ids)
    if other != key:
        assert set(ids).isdisjoint(ids_or_rejection(provider, body, other))


_UTF8_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))


@given(_UTF8_TEXT, _UTF8_TEXT, st.integers(min_value=0, max_value=10**6))
def test_event_id_is_the_rfc4122_name_based_uuid(source: str, key: str, index: int) -> None:
    raw = RawRecord(
        provider="zubie", source=source, key=key, body=b"{}", headers={}, received_at=""
    )
    assert event_id(raw, index) == str(uuid.uuid5(ID_NAMESPACE, f"{source}\x1f{key}\x1f{index}"))
