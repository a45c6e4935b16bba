"""Golden files: what a provider's sample becomes, by one convention every provider shares.

A sample is delivered as one raw record and run through the processors' real pure path
(processors.output.Transformer):

- source = the provider's name (as in deploy/local/sources.toml);
- key = the body's SHA-256 in lowercase hex, as the ingress keys a provider without
  delivery ids, so that samples reusing a provider's example ids stay apart;
- received at RECEIVED_AT, with the provider's `sample_headers` (a signed timestamp the
  normalizer reads, say).

A golden file is the JSON list of canonical events that gives, reviewed once by a person.
`python -m providers.golden NAME` writes an installed provider's golden files from its
samples (after a deliberate change: review the difference before committing it).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from fleetwire import envelope
from fleetwire.errors import FleetwireError
from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from providers.registry import installed
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


def events(provider: Provider, body: bytes) -> list[dict[str, Any]]:
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


def write(provider: Provider) -> list[str]:
    """Write the golden file of every sample of `provider`; the names of those that changed."""
    if provider.samples is None or provider.golden is None:
        return []
    provider.golden.mkdir(parents=True, exist_ok=True)
    changed = []
    for sample in sorted(provider.samples.glob("*.json")):
        if sample.name.endswith(".invalid.json"):
            continue  # a body the provider may send that must be dead-lettered: no events
        path = provider.golden / sample.name
        found = text(events(provider, sample.read_bytes()))
        if not path.exists() or path.read_text() != found:
            path.write_text(found)
            changed.append(path.name)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m providers.golden PROVIDER", file=sys.stderr)
        return 2
    try:
        provider = installed().get(argv[0])
        changed = write(provider)
    except FleetwireError as exc:
        print(f"providers.golden: error: {exc}", file=sys.stderr)
        return 2
    print(f"{provider.name}: {len(changed)} golden file(s) written: {', '.join(changed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
