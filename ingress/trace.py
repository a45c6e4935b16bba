"""The trace context a webhook's raw record carries: the sender's trace continued, or a new one.

A provider that sends a valid W3C `traceparent` gets the webhook's span recorded as a child
of its own; otherwise the ingress starts a trace. Either way the raw record carries the
ingress's span in its `traceparent` header, and the processors continue from there.
"""

from __future__ import annotations

from collections.abc import Mapping

from fleetwire import traceparent

HEADER = traceparent.HEADER


def raw_header(request_headers: Mapping[str, str]) -> tuple[str, bytes]:
    """The raw record's `traceparent` header for a request with these headers."""
    return HEADER, traceparent.continued(request_headers.get(HEADER)).encode()
