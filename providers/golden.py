"""Golden files: what a provider's sample becomes, by one convention every provider shares.

A sample is delivered as one raw record and run through the processors' real pure path
(processors.output.Transformer):

- source = the provider's name (as in deploy/local/sources.toml);
- key = the body's SHA-256 in lowercase hex, as the ingress keys a provider without
  delivery ids, so that samples reusing a provider's example ids stay apart;
- received at RECEIVED_AT, with the provider's `sample_headers` (a signed timestamp the
  normalizer reads, say).

A golden file is the JSON list of canonical events that gives, reviewed once by a person.
The names here are those of the conformance suite's golden module, which keeps the same
convention; `fleetwire provider new` uses this one to write a new provider's first file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fleetwire import envelope
from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from providers.spec import Provider

RECEIVED_AT = "2025-10-31T07:39:11.000Z"
PREFIX = "golden"


def delivery(provider: Provider, body: bytes) -> InRecord:
    """The raw record of `body` by the golden convention."""
    headers = [
        (envelope.SOURCE, provider.name.encode()),
        (envelope.PROVIDER, provider.name.encode()),
        (envelope.RECEIVED_AT, RECEIVED_AT.encode()),
        (envelope.CONTENT_TYPE, b"application/json"),
        *((name, value.encode()) for name, value in provider.sample_headers.items()),
    ]
    return InRecord(
        topic=TopicNames(PREFIX).raw(provider.name),
        partition=0,
        offset=0,
        key=hashlib.sha256(body).hexdigest().encode(),
        value=body,
        headers=headers,
    )


def transform(provider: Provider, body: bytes) -> list[OutRecord]:
    """What the processors write for `body`: canonical events, or one dead letter."""
    transformer = Transformer(TopicNames(PREFIX), {provider.name: provider.normalizer})
    return transformer.transform(provider.name, delivery(provider, body))


def canonical_events(provider: Provider, body: bytes) -> list[dict[str, Any]]:
    """The canonical events `body` becomes, as JSON; AssertionError if dead-lettered."""
    records = transform(provider, body)
    for record in records:
        if record.event_type is None:
            reason = dict(record.headers)[envelope.ERROR].decode()
            raise AssertionError(f"dead-lettered ({record.error_kind}): {reason}")
    return [json.loads(record.value) for record in records]


def text(found: list[dict[str, Any]]) -> str:
    """A golden file's text: stable, readable and diffable."""
    return json.dumps(found, indent=2, ensure_ascii=False) + "\n"
