"""W3C Trace Context `traceparent` values: strict parsing, new traces and child spans.

A value is `00-{trace id: 32 hex}-{span id: 16 hex}-{flags: 2 hex}`, lowercase
(https://www.w3.org/TR/trace-context/#traceparent-header). Anything else (another
version, upper case, an all-zero id, extra characters) is not a trace context: the
ingress ignores it and starts a trace of its own, rather than carry a value that tracing
back ends would reject.

Pure and cheap, since the ingress pays for it on every webhook: new ids come from one
`random.getrandbits` (reseeded in every forked worker), derived ids from one BLAKE2b.
"""

from __future__ import annotations

import hashlib
import random
import re

HEADER = "traceparent"
VERSION = "00"
SAMPLED = "01"
LENGTH = 55
# A pattern is a quarter of the cost of checking the fields character by character.
_SHAPE = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def parse(value: str | None) -> str | None:
    """`value` if it is a valid version-00 traceparent, else None."""
    if value is None or _SHAPE.fullmatch(value) is None:
        return None
    if value[3:35] == _ZERO_TRACE or value[36:52] == _ZERO_SPAN:
        return None
    return value


def new_span(trace_id: str, flags: str = SAMPLED) -> str:
    """A span of its own in trace `trace_id`, with a random span id."""
    span = random.getrandbits(64) or 1  # all zero is not a span id
    return f"{VERSION}-{trace_id}-{span:016x}-{flags}"


def new_trace() -> str:
    """The root span of a new trace: random ids, marked sampled so that back ends
    downstream that follow their parent's decision may record it."""
    bits = random.getrandbits(192)
    trace, span = bits >> 64 or 1, bits & 0xFFFFFFFFFFFFFFFF or 1
    return f"{VERSION}-{trace:032x}-{span:016x}-{SAMPLED}"


def continued(incoming: str | None) -> str:
    """The context of a span continuing `incoming` (if it is valid), else of a new trace."""
    parent = parse(incoming)
    if parent is None:
        return new_trace()
    return new_span(parent[3:35], parent[53:])


def child(parent: str, name: str) -> str:
    """A child span of `parent` named by `name` (an event id): always the same one.

    Derived, not random, so that processing the same record again (a retry, a replay)
    writes the same event, byte for byte.
    """
    digest = hashlib.blake2b(f"{parent[36:52]}\x1f{name}".encode(), digest_size=8).hexdigest()
    return f"{VERSION}-{parent[3:35]}-{_nonzero(digest)}-{parent[53:]}"


def derived(seed: str) -> str:
    """The root span of the trace a record without a (valid) context belongs to, derived
    from what identifies the record (its source and delivery id), so it stays the same."""
    digest = hashlib.blake2b(seed.encode(), digest_size=24).hexdigest()
    trace, span = digest[:32], digest[32:]
    trace = trace if trace != _ZERO_TRACE else "0" * 31 + "1"
    return f"{VERSION}-{trace}-{_nonzero(span)}-{SAMPLED}"


def trace_id(value: str) -> str:
    return value[3:35]


def span_id(value: str) -> str:
    return value[36:52]


def _nonzero(span: str) -> str:
    return span if span != _ZERO_SPAN else "0" * 15 + "1"
