"""`fleetwire topics`: make sure every topic the pipeline uses exists."""

from __future__ import annotations

from fleetwire.kafka import max_record_bytes
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames, declared_topics, ensure_topics
from ingress.registry import VERIFIERS
from processors.registry import NORMALIZERS
from schemas.catalog import DOMAINS


def pipeline_topics(settings: Settings) -> list:  # type: ignore[type-arg]
    # The ingress writes a raw topic for every provider it authenticates, processed or not.
    providers = set(VERIFIERS) | set(NORMALIZERS)
    return declared_topics(
        TopicNames(settings.topic_prefix),
        providers,
        DOMAINS,
        settings.raw_partitions,
        settings.canonical_partitions,
        max_message_bytes=max_record_bytes(settings.max_body_bytes),
    )


async def provision(settings: Settings) -> int:
    specs = pipeline_topics(settings)
    created = await ensure_topics(settings.bootstrap_servers, specs)
    print(
        f"{len(specs)} topics declared, {len(created)} created, "
        f"{len(specs) - len(created)} already present"
    )
    return 0
