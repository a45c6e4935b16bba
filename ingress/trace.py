"""The trace context a webhook's raw record carries: the sender's trace continued, or a new one.

A provider that sends a valid W3C `traceparent` gets the webhook's span recorded as a child
of its own; otherwise the ingress starts a trace. Either way the raw record carries the
ingress's span in its `traceparent` header, and the processors continue from there. With
OpenTelemetry configured (`fleetwire.otel`), that span is exported too: it marks the
moment the webhook was authenticated and handed to Kafka (how long the write took is in
/metrics).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fleetwire import traceparent
from fleetwire.otel import Spans

HEADER = traceparent.HEADER
_spans: Spans | None = None


def use(spans: Spans | None) -> None:
    """Export the ingress's spans with `spans` (None: record none, the default)."""
    global _spans  # noqa: PLW0603 (one recorder per process, set at start)
    _spans = spans


def raw_header(request_headers: Mapping[str, str]) -> tuple[str, bytes]:
    """The raw record's `traceparent` header for a request with these headers."""
    incoming = request_headers.get(HEADER)
    context = traceparent.continued(incoming)
    if _spans is not None:
        now = time.time_ns()
        parent = traceparent.parse(incoming)
        _spans.record("webhook", context, parent, start_ns=now, end_ns=now, kind="server")
    return HEADER, context.encode()
