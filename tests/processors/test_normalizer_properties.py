"""How the built-in normalizers name events: the RFC 4122 name-based id of the delivery.

What every normalizer must do whatever it is given (events or a rejection, never a
crash; the same delivery, the same ids) is the conformance suite's (tests/providers).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors.event import ID_NAMESPACE, event_id
from tests.support.providers import NORMALIZERS
from tests.support.samples import valid_samples

PROVIDERS = sorted(NORMALIZERS)
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def record(provider: str, body: bytes, key: str) -> RawRecord:
    return RawRecord(
        provider=provider,
        source=f"{provider}-main",
        key=key,
        body=body,
        headers={},
        received_at="2025-01-01T00:00:00Z",
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@SETTINGS
@given(data=st.data(), key=st.text(min_size=1, max_size=64))
def test_each_event_id_is_the_delivery_and_position_named(
    provider: str, data: st.DataObject, key: str
) -> None:
    path: Path = data.draw(st.sampled_from(valid_samples(provider)))
    raw = record(provider, path.read_bytes(), key)
    try:
        events = NORMALIZERS[provider](raw)
    except RejectedRecord:
        return  # a valid sample that is no event (e.g. a handshake)
    assert [ev.id for ev in events] == [event_id(raw, i) for i in range(len(events))]


_UTF8_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))


@given(_UTF8_TEXT, _UTF8_TEXT, st.integers(min_value=0, max_value=10**6))
def test_event_id_is_the_rfc4122_name_based_uuid(source: str, key: str, index: int) -> None:
    raw = RawRecord(
        provider="zubie", source=source, key=key, body=b"{}", headers={}, received_at=""
    )
    assert event_id(raw, index) == str(uuid.uuid5(ID_NAMESPACE, f"{source}\x1f{key}\x1f{index}"))
