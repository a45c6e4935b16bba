"""Each canonical event continues its raw record's trace; each dead letter carries it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetwire import traceparent
from processors.output import InRecord
from tests.support.golden import TRANSFORMER, delivery
from tests.support.providers import PROVIDERS
from tests.support.samples import sample, valid_samples

RAW = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
SAMPLES = [(p, path) for p in PROVIDERS for path in valid_samples(p)]


def with_headers(record: InRecord, **extra: str) -> InRecord:
    headers = [*record.headers, *((k, v.encode()) for k, v in extra.items())]
    return InRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=headers,
    )


@pytest.mark.parametrize(("provider", "path"), SAMPLES, ids=lambda v: getattr(v, "stem", v))
def test_every_event_is_a_child_of_the_raw_record_in_its_value_and_header(
    provider: str, path: Path
) -> None:
    record = with_headers(delivery(provider, path.read_bytes()), traceparent=RAW)
    outputs = [o for o in TRANSFORMER.transform(provider, record) if o.event_type]
    spans = set()
    for out in outputs:
        event = json.loads(out.value)
        assert dict(out.headers)["traceparent"] == event["traceparent"].encode()
        assert traceparent.parse(event["traceparent"]) == event["traceparent"]
        assert traceparent.trace_id(event["traceparent"]) == traceparent.trace_id(RAW)
        spans.add(traceparent.span_id(event["traceparent"]))
    assert traceparent.span_id(RAW) not in spans
    assert len(spans) == len(outputs)  # one span per event, even from one delivery


def test_processing_a_record_again_writes_the_same_events() -> None:
    record = with_headers(delivery("zubie", sample("zubie", "trip_end")), traceparent=RAW)
    first = TRANSFORMER.transform("zubie", record)
    assert [o.value for o in first] == [o.value for o in TRANSFORMER.transform("zubie", record)]


@pytest.mark.parametrize("header", [None, RAW.upper(), "nonsense"])
def test_a_record_without_a_valid_context_gets_one_derived_from_the_delivery(
    header: str | None,
) -> None:
    body = sample("zubie", "trip_end")
    plain = delivery("zubie", body)
    record = plain if header is None else with_headers(plain, traceparent=header)
    [out] = TRANSFORMER.transform("zubie", record)
    [again] = TRANSFORMER.transform("zubie", plain)
    event = json.loads(out.value)
    assert traceparent.parse(event["traceparent"]) == event["traceparent"]
    assert out.value == again.value
    other = json.loads(TRANSFORMER.transform("zubie", delivery("zubie", body + b" "))[0].value)
    assert traceparent.trace_id(other["traceparent"]) != traceparent.trace_id(event["traceparent"])


@pytest.mark.parametrize("header", [RAW, None, "00-nonsense"])
def test_a_dead_letter_carries_one_valid_traceparent_header(header: str | None) -> None:
    plain = delivery("zubie", b"not json")
    record = plain if header is None else with_headers(plain, traceparent=header)
    [letter] = TRANSFORMER.transform("zubie", record)
    assert letter.event_type is None
    values = [v.decode() for k, v in letter.headers if k == "traceparent"]
    assert len(values) == 1
    assert traceparent.parse(values[0]) == values[0]
    if header == RAW:
        assert values == [RAW]  # the record's own context, unchanged
