"""`fleetwire topics`: make sure every topic the pipeline uses exists."""

from __future__ import annotations

from fleetwire.settings import Settings
from fleetwire.topics import TopicNames, declared_topics, ensure_topics
from processors.registry import NORMALIZERS
from schemas.catalog import DOMAINS


def pipeline_topics(settings: Settings) -> list:  # type: ignore[type-arg]
    return declared_topics(
        TopicNames(settings.topic_prefix), NORMALIZERS, DOMAINS,
        settings.raw_partitions, settings.canonical_partitions,
    )


async def provision(settings: Settings) -> int:
    specs = pipeline_topics(settings)
    created = await ensure_topics(settings.bootstrap_servers, specs)
    print(f"{len(specs)} topics declared, {len(created)} created, "
          f"{len(specs) - len(created)} already present")
    return 0
