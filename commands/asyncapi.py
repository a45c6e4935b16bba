"""schemas/asyncapi.yaml, the AsyncAPI 3.0 description of every topic, from the catalog.

Downstream teams get the canonical topics (`{prefix}.canonical.{domain}`): the key (the
subject), the `content-type` header and every event type as a message whose payload is
the CloudEvents envelope around the type's `data` schema. Operators get the raw and
dead-letter topics with their headers (CONTRACT.md). Kafka bindings give the topic,
partitions, replicas and record key as the defaults of `fleetwire topics` declare them.

The `data` schemas are generated from the same structs, by the same msgspec call, as the
committed JSON Schemas in schemas/json/, and are embedded under `components.schemas`
rather than referenced by URL: the document is then complete on its own, validates
without network access, and is the same bytes whatever FLEETWIRE_SCHEMA_BASE_URL a
deployment publishes the JSON Schemas under.

The file is YAML written by PyYAML at `make docs` time (a dev dependency, like the
other generators); at run time the admin listener only serves the committed bytes
(`GET /asyncapi.yaml`), so the processors need no YAML library.

    python -m commands.asyncapi            # rewrite schemas/asyncapi.yaml
    python -m commands.asyncapi --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import yaml  # type: ignore[import-untyped]  # a dev dependency: only `make docs` renders

from fleetwire import envelope
from fleetwire.topics import DLQ_PARTITIONS, TopicLayout
from providers.registry import installed
from schemas.canonical import CLOUDEVENTS_CONTENT_TYPE, CanonicalEvent
from schemas.catalog import DOMAINS, EVENT_TYPES, EventType
from schemas.jsonschema import clean_descriptions

DOCUMENT = Path(__file__).resolve().parent.parent / "schemas" / "asyncapi.yaml"
ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"  # of the canonical contract: v1 of every type
KAFKA_BINDING_VERSION = "0.5.0"
DEFAULT_PREFIX = "fleetwire"
PROCESSOR_GROUP = f"{DEFAULT_PREFIX}.processor"
REF_TEMPLATE = "#/components/schemas/{name}"
HOUR_MS = 3600 * 1000


def _ids(name: str) -> str:
    """An AsyncAPI object key for a type or topic name (keys allow no dots in channels)."""
    return name.replace(".", "-")


def _string_header(description: str, const: str | None = None) -> dict[str, Any]:
    header: dict[str, Any] = {"type": "string", "description": description}
    if const is not None:
        header["const"] = const
    return header


def _delivery_headers(provider: str) -> tuple[str, ...]:
    """The provider's headers the ingress keeps on the raw record (svix-id, ...)."""
    return installed().get(provider).delivery_headers


def _headers_schema(
    headers: dict[str, str], provider: str | None = None, required: bool = True
) -> dict[str, Any]:
    properties = {name: _string_header(text) for name, text in headers.items()}
    for name in _delivery_headers(provider) if provider else ():
        properties[name] = _string_header(
            f"{installed().get(provider or '').title}'s own, as received"
        )
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(headers)
    return schema


def _topic_binding(address: str, partitions: int, retention_hours: int) -> dict[str, Any]:
    layout = TopicLayout()
    return {
        "kafka": {
            "topic": address,
            "partitions": partitions,
            "replicas": layout.replication_factor,
            "topicConfiguration": {
                "cleanup.policy": ["delete"],
                "retention.ms": retention_hours * HOUR_MS,
            },
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _key_binding(description: str) -> dict[str, Any]:
    return {
        "kafka": {
            "key": {"type": "string", "description": description},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def components() -> dict[str, Any]:
    """Every `data` object's schema, and the envelope's, as the JSON Schemas have them."""
    types = [CanonicalEvent, *dict.fromkeys(t.data for t in EVENT_TYPES.values())]
    _, schemas = msgspec.json.schema_components(types, ref_template=REF_TEMPLATE)
    cleaned: dict[str, Any] = clean_descriptions(schemas)
    return dict(sorted(cleaned.items()))


def _event_schema(event_type: EventType) -> dict[str, Any]:
    return {
        "title": f"{event_type.name} v{event_type.version}",
        "allOf": [
            {"$ref": REF_TEMPLATE.format(name=CanonicalEvent.__name__)},
            {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "const": event_type.name},
                    "dataschema": {
                        "type": "string",
                        "description": "the URL of the type's JSON Schema, ending in "
                        f"`{event_type.schema_file}` (served by the processors' admin port "
                        "under /schemas/)",
                    },
                    "data": {"$ref": REF_TEMPLATE.format(name=event_type.data.__name__)},
                },
            },
        ],
    }


def _produced_by(event_type: EventType) -> str:
    return "; ".join(origin.describe() for origin in installed().origins().get(event_type.name, ()))


def _canonical_message(event_type: EventType) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "title": event_type.name,
        "summary": f"Produced by {_produced_by(event_type)}.",
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": {"$ref": REF_TEMPLATE.format(name="CanonicalHeaders")},
        "payload": {"$ref": REF_TEMPLATE.format(name=f"event.{event_type.name}")},
        "bindings": _key_binding("the event's `subject`: `vin:{VIN}` or `{provider}:{kind}:{id}`"),
    }


def _canonical_channel(domain: str) -> dict[str, Any]:
    address = f"{DEFAULT_PREFIX}.canonical.{domain}"
    layout = TopicLayout()
    types = [t for t in EVENT_TYPES.values() if t.domain == domain]
    return {
        "address": address,
        "title": f"canonical {domain} events",
        "description": (
            f"Canonical events of the `{domain}` domain, CloudEvents 1.0 in structured JSON "
            "mode. The prefix is the deployment's FLEETWIRE_TOPIC_PREFIX (`fleetwire` by "
            "default). Written in Kafka transactions by default: read with "
            "`isolation.level=read_committed`; skip types you do not know."
        ),
        "messages": {
            _ids(t.name): {"$ref": f"#/components/messages/{_ids(t.name)}"} for t in types
        },
        "bindings": _topic_binding(
            address, layout.canonical_partitions, layout.canonical_retention_hours
        ),
    }


def _raw_message(provider: str, dead: bool) -> dict[str, Any]:
    kind = "dead letter" if dead else "raw record"
    headers = {**envelope.RAW_HEADERS, **(envelope.DEAD_LETTER_HEADERS if dead else {})}
    schema = _headers_schema(headers, provider)
    if dead:
        schema["properties"][envelope.ITEM] = _string_header(envelope.ITEM_DESCRIPTION)
    return {
        "name": f"{provider} {kind}",
        "title": f"{installed().get(provider).title} {kind}",
        "summary": (
            "A webhook body that could not be normalized, byte for byte, with the reason."
            if dead
            else "A webhook body exactly as received, after authentication."
        ),
        "contentType": "application/octet-stream",
        "headers": schema,
        "payload": {
            "description": "the request body, byte for byte (JSON from every provider, but "
            "published as received even when it is not)"
        },
        "bindings": _key_binding(
            "the provider's delivery id, or the body's SHA-256 in lowercase hex where the "
            "provider has none"
        ),
    }


def _operator_channel(provider: str, dead: bool) -> dict[str, Any]:
    layout = TopicLayout()
    kind = "dlq" if dead else "raw"
    address = f"{DEFAULT_PREFIX}.{kind}.{provider}"
    message_id = f"{kind}-{provider}"
    if dead:
        binding = _topic_binding(address, DLQ_PARTITIONS, layout.dlq_retention_hours)
        about = (
            "Dead letters: records the processors could not normalize, kept for "
            "`fleetwire replay`. For operators."
        )
    else:
        binding = _topic_binding(address, layout.raw_partitions, layout.raw_retention_hours)
        about = (
            "Raw webhook bodies as the ingress received them. For operators."
            if installed().get(provider).verifier is not None
            else "Raw feed entities as the poller read them, one per record. For operators."
        )
    return {
        "address": address,
        "title": f"{installed().get(provider).title} {kind}",
        "description": about,
        "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}},
        "bindings": binding,
    }


def _operation(action: str, channel: str, messages: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "summary": summary,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
    }


def document() -> dict[str, Any]:
    providers = list(installed().names)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for domain in DOMAINS:
        channel = f"canonical-{domain}"
        channels[channel] = _canonical_channel(domain)
        names = [_ids(t.name) for t in EVENT_TYPES.values() if t.domain == domain]
        operations[f"publish-canonical-{domain}"] = _operation(
            "send", channel, names, f"The processors publish {domain} events."
        )
    for event_type in EVENT_TYPES.values():
        messages[_ids(event_type.name)] = _canonical_message(event_type)
    for provider in providers:
        for dead in (False, True):
            kind = "dlq" if dead else "raw"
            channel = f"{kind}-{provider}"
            channels[channel] = _operator_channel(provider, dead)
            messages[channel] = _raw_message(provider, dead)
        writer = (
            "The ingress writes what it accepted."
            if installed().get(provider).verifier is not None
            else "The poller writes each feed entity, with its feed position, in one transaction."
        )
        operations[f"ingest-{provider}"] = _operation(
            "send", f"raw-{provider}", [f"raw-{provider}"], writer
        )
        operations[f"normalize-{provider}"] = {
            **_operation(
                "receive",
                f"raw-{provider}",
                [f"raw-{provider}"],
                "The processors read raw records (consumer group `{prefix}.processor`).",
            ),
            "bindings": {
                "kafka": {
                    "groupId": {"type": "string", "enum": [PROCESSOR_GROUP]},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        operations[f"dead-letter-{provider}"] = _operation(
            "send",
            f"dlq-{provider}",
            [f"dlq-{provider}"],
            "The processors set aside what they cannot normalize.",
        )
    schemas = components()
    schemas["CanonicalHeaders"] = {
        "type": "object",
        "required": ["content-type"],
        "properties": {
            "content-type": _string_header(
                "CloudEvents structured mode", const=CLOUDEVENTS_CONTENT_TYPE
            ),
            "traceparent": _string_header(
                "W3C trace context of this event, a child of the raw record's; the same as "
                "the event's traceparent attribute"
            ),
        },
    }
    for event_type in EVENT_TYPES.values():
        schemas[f"event.{event_type.name}"] = _event_schema(event_type)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "fleetwire",
            "version": DOCUMENT_VERSION,
            "description": (
                "Vehicle-telematics webhooks from Azuga, ZF SCALAR, Telematica, Zubie and "
                "Smartcar, made durable on raw Kafka topics and normalized into canonical "
                "CloudEvents, one topic per domain. Generated by `make docs` from "
                "schemas/catalog.py; the guide for consumers is docs/events.md."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make kafka`; a deployment's is KAFKA_BOOTSTRAP_SERVERS",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> bytes:
    header = (
        "# Generated by `make docs` (python -m commands.asyncapi) from schemas/catalog.py and\n"
        "# the canonical structs. Do not edit by hand.\n"
    )
    body: str = yaml.safe_dump(
        document(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return (header + body).encode()


def stale(path: Path = DOCUMENT) -> bool:
    return not path.exists() or path.read_bytes() != render()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.asyncapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if stale")
    parser.add_argument("--file", type=Path, default=DOCUMENT, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.check:
        if stale(args.file):
            print(f"{args.file} is out of date; run `make docs` and commit it", file=sys.stderr)
            return 1
        return 0
    args.file.write_bytes(render())
    print(f"wrote {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
