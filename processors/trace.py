"""Continuing the webhook's trace: each canonical event is a child span of its raw record.

The ingress records a `traceparent` header on every raw record. A record without a valid
one (written before the ingress recorded traces, or by another producer) gets a context
derived from its source and delivery id, so that its events are still the same on every
retry and still share a trace.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetwire import traceparent

HEADER = traceparent.HEADER


def of_record(source: str, key: str, headers: Mapping[str, str]) -> str:
    """The trace context of a raw record (headers by lowercase name)."""
    return traceparent.parse(headers.get(HEADER)) or traceparent.derived(f"{source}\x1f{key}")


def of_event(record_context: str, event_id: str) -> str:
    """The context of the event `event_id` made of a record with `record_context`."""
    return traceparent.child(record_context, event_id)
