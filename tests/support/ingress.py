"""An in-process ingress for tests: every provider's source, a real publisher."""

from __future__ import annotations

from collections.abc import Mapping

from fleetwire.connection import KafkaConnection
from fleetwire.topics import TopicLayout, TopicNames, ensure_topics
from ingress.app import IngressConfig
from ingress.sources import Secret, Source
from tests.support.kafka import connection
from tests.support.providers import REGISTRY, VERIFIERS, verifier_for

# One source per installed webhook provider, named after it, with its test credentials.
SOURCES: Mapping[str, Source] = {name: REGISTRY.get(name).example_source() for name in VERIFIERS}


def _auth_header_names() -> tuple[str, ...]:
    """Every header some verifier reads: what fuzzers of the ingress draw header names from.

    The headers each provider's `sign` makes and its delivery headers, derived so that a
    provider added later is fuzzed too, and the few a verifier also reads that its test
    signature does not show (Azuga's key header, ZF's other signature header, Telematica's
    `webhook-*` family), plus the headers every request may carry.
    """
    names = {"Content-Type", "Content-Encoding", "Authorization", "X-Azuga-Key"}
    names |= {"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}
    for provider in REGISTRY:
        if provider.verifier is not None:
            signed = verifier_for(SOURCES[provider.name]).sign(b"{}", 1_700_000_000)
            names |= set(signed) | set(provider.delivery_headers)
    return tuple(sorted(names))


AUTH_HEADER_NAMES = _auth_header_names()


def sources_toml(sources: Mapping[str, Source] = SOURCES) -> str:
    """The sources file of `sources`, secrets as literal values: the same sources in-process
    tests use, for tests that run the real processes."""
    blocks = []
    for source in sources.values():
        lines = ["[[sources]]", f'name = "{source.name}"', f'provider = "{source.provider}"']
        for key in ("secrets", "basic_auth", "api_keys", "authorization"):
            values: tuple[Secret, ...] = getattr(source, key)
            if values:
                lines.append(f"{key} = [{', '.join(f'{v.value!r}' for v in values)}]")
        if source.api_key_header:
            lines.append(f'api_key_header = "{source.api_key_header}"')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def ingress_config(
    prefix: str, max_body_bytes: int = 4096, max_in_flight: int = 64
) -> IngressConfig:
    return IngressConfig(
        verifiers={name: verifier_for(source) for name, source in SOURCES.items()},
        topics=TopicNames(prefix),
        max_body_bytes=max_body_bytes,
        max_in_flight=max_in_flight,
    )


async def create_raw_topics(
    bootstrap: str | KafkaConnection, prefix: str, max_body_bytes: int = 4096
) -> None:
    names = TopicNames(prefix)
    layout = TopicLayout(max_body_bytes=max_body_bytes)
    reach = bootstrap if isinstance(bootstrap, KafkaConnection) else connection(bootstrap)
    await ensure_topics(reach, [layout.spec(names.raw(p), 1, 24) for p in VERIFIERS])
