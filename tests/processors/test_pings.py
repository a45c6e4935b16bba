"""A provider's test delivery or heartbeat is counted and passed over, never dead-lettered."""

from __future__ import annotations

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping
from fleetwire.topics import TopicNames
from processors import metrics
from processors.output import InRecord, Transformer
from schemas.canonical import CanonicalEvent


def _pinging(record: RawRecord) -> list[CanonicalEvent]:
    raise Ping("test delivery")


def test_a_ping_writes_nothing_and_is_counted_under_its_provider() -> None:
    transformer = Transformer(TopicNames("t"), {"acme": _pinging})
    message = InRecord(
        topic="t.raw.acme", partition=0, offset=7, key=b"k", value=b'{"ping":1}', headers=[]
    )
    before = metrics.PINGS.labels("acme")._value.get()

    assert transformer.transform("acme", message) == []
    assert metrics.PINGS.labels("acme")._value.get() == before + 1
