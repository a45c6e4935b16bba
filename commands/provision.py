"""`fleetwire topics`: make every topic the pipeline uses exist as declared.

`fleetwire topics` creates what is missing and applies what drifted where that is safe;
`fleetwire topics --check` changes nothing and exits 1 when anything differs.
"""

from __future__ import annotations

from fleetwire.settings import Settings
from fleetwire.topics import (
    Drift,
    TopicLayout,
    TopicNames,
    TopicSpec,
    apply_topics,
    check_topics,
    declared_topics,
)
from providers.registry import installed
from schemas.catalog import DOMAINS

REPLICAS_HINT = (
    "fleetwire cannot add replicas to an existing topic: reassign its partitions "
    "(kafka-reassign-partitions.sh), see docs/operations.md"
)


def layout(settings: Settings) -> TopicLayout:
    return TopicLayout(
        raw_partitions=settings.raw_partitions,
        canonical_partitions=settings.canonical_partitions,
        replication_factor=settings.replication_factor,
        min_insync_replicas=settings.min_insync_replicas,
        raw_retention_hours=settings.raw_retention_hours,
        canonical_retention_hours=settings.canonical_retention_hours,
        dlq_retention_hours=settings.dlq_retention_hours,
        max_body_bytes=settings.max_body_bytes,
    )


def pipeline_topics(settings: Settings) -> list[TopicSpec]:
    providers = installed().names
    return declared_topics(TopicNames(settings.topic_prefix), providers, DOMAINS, layout(settings))


async def provision(settings: Settings, check: bool = False) -> int:
    specs = pipeline_topics(settings)
    if check:
        return _report_check(specs, await check_topics(settings.kafka, specs))
    result = await apply_topics(settings.kafka, specs)
    for name in result.created:
        print(f"created {name}")
    for drift in result.fixed:
        print(f"changed {drift.topic}: {drift.setting} {drift.actual} -> {drift.declared}")
    changed = len({d.topic for d in result.fixed})
    print(
        f"{len(specs)} topics declared, {len(result.created)} created, {changed} changed, "
        f"{len(specs) - len(result.created) - changed} already as declared"
    )
    return _report_remaining(result.remaining)


def _report_check(specs: list[TopicSpec], drifts: list[Drift]) -> int:
    for drift in drifts:
        print(f"drift: {drift}")
    if not drifts:
        print(f"{len(specs)} topics declared, all as declared")
        return 0
    print(
        f"{len(specs)} topics declared, {len({d.topic for d in drifts})} differ; "
        "`fleetwire topics` applies what it can"
    )
    return 1


def _report_remaining(drifts: list[Drift]) -> int:
    for drift in drifts:
        hint = REPLICAS_HINT if drift.setting == "replication factor" else "changed meanwhile?"
        print(f"not applied: {drift} ({hint})")
    return 1 if drifts else 0
