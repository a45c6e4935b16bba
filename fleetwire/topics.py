"""Topic names, the settings each topic is declared with, and creating them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicNames:
    prefix: str

    def raw(self, provider: str) -> str:
        return f"{self.prefix}.raw.{provider}"

    def canonical(self, domain: str) -> str:
        return f"{self.prefix}.canonical.{domain}"

    def dead_letter(self, provider: str) -> str:
        return f"{self.prefix}.dlq.{provider}"

    def replay_ledger(self) -> str:
        """Which dead letters `fleetwire replay` has sent back, so none is sent twice."""
        return f"{self.prefix}.replay-ledger"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def declared_topics(
    names: TopicNames,
    providers: Iterable[str],
    domains: Iterable[str],
    raw_partitions: int,
    canonical_partitions: int,
) -> list[TopicSpec]:
    """Every topic the pipeline uses. Raw and dead-letter topics keep raw bodies a week."""
    week = str(7 * 24 * 3600 * 1000)
    specs = []
    for provider in sorted(providers):
        specs.append(TopicSpec(names.raw(provider), raw_partitions, {"retention.ms": week}))
        specs.append(TopicSpec(names.dead_letter(provider), 1, {"retention.ms": str(4 * 7 * 24 * 3600 * 1000)}))
    specs.extend(
        TopicSpec(names.canonical(domain), canonical_partitions, {"retention.ms": week})
        for domain in sorted(domains)
    )
    # The ledger outlives every dead letter it records: written after them, kept as long.
    ledger_retention = str(4 * 7 * 24 * 3600 * 1000)
    specs.append(TopicSpec(names.replay_ledger(), 1, {"retention.ms": ledger_retention}))
    return specs


async def ensure_topics(bootstrap_servers: str, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that are missing; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, 1, topic_configs=s.config) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another process created them meanwhile
        for spec in missing:
            log.info("created topic %s (%d partitions)", spec.name, spec.partitions)
        return [s.name for s in missing]
    finally:
        await admin.close()
