"""Topics as code: names, the settings each topic is declared with, and keeping them so.

The declaration is pure (`declared_topics`, `find_drift`); `TopicAdmin` is the thin I/O
around Kafka's admin API. Applying is idempotent: creating what is missing, adding
partitions up to the declared count and setting declared configs that differ. What cannot
be applied safely (fewer replicas than declared) is reported, never forced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiokafka.admin import NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    InvalidConfigurationError,
    InvalidReplicationFactorError,
    KafkaError,
    TopicAlreadyExistsError,
    for_code,
)

from fleetwire.clients import admin_client
from fleetwire.connection import KafkaConnection
from fleetwire.diagnosis import start_client
from fleetwire.errors import FleetwireError, KafkaUnavailable

HOUR_MS = 3600 * 1000
DLQ_PARTITIONS = 1  # dead letters are rare; one partition keeps them in arrival order
# Headers (fleetwire's, the provider's, a dead letter's error) and batch framing on top
# of the largest body the ingress accepts.
RECORD_HEADROOM_BYTES = 64 * 1024
DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself
# Brokers apply new topics, partitions and configs shortly after the controller accepted
# them; how long to wait for the change to be visible before calling it not applied.
SETTLE_TIMEOUT_S = 15.0


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

    def poll_positions(self) -> str:
        """Where each pull source's feeds stand (`{source}:{typeName}` -> version token)."""
        return f"{self.prefix}.poll-positions"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicLayout:
    """How many partitions and replicas the topics get and how long they keep records."""

    raw_partitions: int = 6
    canonical_partitions: int = 6
    replication_factor: int = 1
    min_insync_replicas: int = 1
    raw_retention_hours: int = 7 * 24
    canonical_retention_hours: int = 7 * 24
    dlq_retention_hours: int = 28 * 24
    max_body_bytes: int = 1_048_576

    def spec(self, name: str, partitions: int, retention_hours: int) -> TopicSpec:
        retention_ms = retention_hours * HOUR_MS if retention_hours > 0 else -1
        return TopicSpec(
            name,
            partitions,
            self.replication_factor,
            {
                "cleanup.policy": "delete",
                "retention.ms": str(retention_ms),
                "min.insync.replicas": str(self.min_insync_replicas),
                "max.message.bytes": str(self.max_body_bytes + RECORD_HEADROOM_BYTES),
            },
        )

    def compacted(self, name: str) -> TopicSpec:
        """A table of the latest value per key, kept for ever: one partition, in order."""
        return TopicSpec(
            name,
            1,
            self.replication_factor,
            {
                "cleanup.policy": "compact",
                "min.insync.replicas": str(self.min_insync_replicas),
            },
        )


def declared_topics(
    names: TopicNames, providers: Iterable[str], domains: Iterable[str], layout: TopicLayout
) -> list[TopicSpec]:
    """Every topic the pipeline uses, as it should be."""
    specs = []
    for provider in sorted(providers):
        specs.append(
            layout.spec(names.raw(provider), layout.raw_partitions, layout.raw_retention_hours)
        )
        specs.append(
            layout.spec(names.dead_letter(provider), DLQ_PARTITIONS, layout.dlq_retention_hours)
        )
    specs.extend(
        layout.spec(
            names.canonical(domain), layout.canonical_partitions, layout.canonical_retention_hours
        )
        for domain in sorted(domains)
    )
    # The replay ledger outlives every dead letter it records: written after them, kept as long.
    specs.append(layout.spec(names.replay_ledger(), 1, layout.dlq_retention_hours))
    specs.append(layout.compacted(names.poll_positions()))
    return specs


@dataclass(frozen=True)
class ObservedTopic:
    """A topic as the cluster has it."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str]  # effective values, defaults included
    overrides: Mapping[str, str] = field(default_factory=dict)  # set on the topic itself


@dataclass(frozen=True)
class Drift:
    """One way a topic differs from its declaration."""

    topic: str
    setting: str
    declared: str
    actual: str
    fixable: bool  # `fleetwire topics` can bring it in line

    def __str__(self) -> str:
        return f"{self.topic}: {self.setting} is {self.actual}, declared {self.declared}"


def find_drift(spec: TopicSpec, observed: ObservedTopic | None) -> list[Drift]:
    """How `observed` differs from `spec`. More partitions or replicas than declared is
    not drift: Kafka cannot remove partitions, and extra replicas only add safety."""
    if observed is None:
        return [Drift(spec.name, "existence", "present", "missing", fixable=True)]
    drifts = []
    if observed.partitions < spec.partitions:
        drifts.append(
            Drift(
                spec.name,
                "partitions",
                str(spec.partitions),
                str(observed.partitions),
                fixable=True,
            )
        )
    if observed.replication_factor < spec.replication_factor:
        drifts.append(
            Drift(
                spec.name,
                "replication factor",
                str(spec.replication_factor),
                str(observed.replication_factor),
                fixable=False,
            )
        )
    for key, value in sorted(spec.config.items()):
        actual = observed.config.get(key)
        if actual != value:
            drifts.append(Drift(spec.name, key, value, actual or "unset", fixable=True))
    return drifts


@dataclass(frozen=True)
class Reconciliation:
    created: list[str]
    fixed: list[Drift]
    remaining: list[Drift]


class TopicError(FleetwireError):
    """Kafka refused a topic operation."""


class TopicAdmin:
    """The few admin operations topics-as-code needs; errors say what to do."""

    def __init__(self, connection: KafkaConnection) -> None:
        self._connection = connection
        self._client = admin_client(connection)

    async def __aenter__(self) -> TopicAdmin:
        try:
            await start_client(self._client, self._connection)
        except KafkaUnavailable as exc:
            raise TopicError(str(exc)) from None
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.close()

    async def observe(self, names: Iterable[str]) -> dict[str, ObservedTopic]:
        """The wanted topics that exist, as they are now."""
        # Listing all topics first: a metadata request naming a missing topic would
        # create it on a broker that allows auto-creation.
        present = sorted(set(names) & set(await self._client.list_topics()))
        if not present:
            return {}
        shapes = {t["topic"]: t for t in await self._client.describe_topics(present)}
        configs = await self._configs(present)
        observed = {}
        for name in present:
            partitions = shapes[name]["partitions"]
            effective, overrides = configs.get(name, ({}, {}))
            observed[name] = ObservedTopic(
                name=name,
                partitions=len(partitions),
                replication_factor=min((len(p["replicas"]) for p in partitions), default=0),
                config=effective,
                overrides=overrides,
            )
        return observed

    async def _configs(self, names: list[str]) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
        responses = await self._client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
        configs = {}
        for response in responses:
            for code, message, _kind, name, entries in response.resources:
                _raise_for(code, message, f"describing {name}")
                configs[name] = _config_entries(entries, response.API_VERSION)
        return configs

    async def create(self, specs: Iterable[TopicSpec]) -> list[str]:
        """Create the given topics; a topic created meanwhile by someone else is fine."""
        specs = list(specs)
        if not specs:
            return []
        response = await self._client.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.config))
                for s in specs
            ]
        )
        created = []
        for name, code, *rest in response.topic_errors:
            if code == TopicAlreadyExistsError.errno:
                continue
            _raise_for(code, rest[0] if rest else None, f"creating {name}")
            created.append(name)
        return created

    async def add_partitions(self, name: str, total: int) -> None:
        try:
            await self._client.create_partitions({name: NewPartitions(total)})
        except KafkaError as exc:
            raise TopicError(f"adding partitions to {name}: {exc}") from None

    async def set_config(self, topic: ObservedTopic, config: Mapping[str, str]) -> None:
        """Set `config` on the topic, keeping its other topic-level settings.

        The AlterConfigs request replaces every topic-level setting, so the ones already
        set (by an operator, say) are sent along.
        """
        wanted = {**topic.overrides, **config}
        [response, *_] = await self._client.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic.name, wanted)]
        )
        for code, message, _kind, name in response.resources:
            _raise_for(code, message, f"configuring {name}")


def _config_entries(entries: list[Any], version: int) -> tuple[dict[str, str], dict[str, str]]:
    effective: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for entry in entries:
        name, value = entry[0], entry[1]
        if value is None:
            continue
        effective[name] = value
        # v0 carries is_default at index 3; later versions the config source.
        on_topic = not entry[3] if version == 0 else entry[3] == DYNAMIC_TOPIC_CONFIG
        if on_topic:
            overrides[name] = value
    return effective, overrides


HINTS = {
    InvalidReplicationFactorError: "use a FLEETWIRE_REPLICATION_FACTOR no larger than the brokers",
    InvalidConfigurationError: "check FLEETWIRE_MIN_INSYNC_REPLICAS and the retention settings",
}


def _raise_for(code: int, message: str | None, doing: str) -> None:
    if code:
        error = for_code(code)
        hint = HINTS.get(error)
        raise TopicError(
            f"Kafka refused {doing}: {error.__name__}: {message or error.description}"
            + (f"; {hint}" if hint else "")
        )


async def ensure_topics(connection: KafkaConnection, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that are missing; return the names created."""
    async with TopicAdmin(connection) as admin:
        present = await admin.observe(s.name for s in specs)
        return await admin.create(s for s in specs if s.name not in present)


async def check_topics(connection: KafkaConnection, specs: list[TopicSpec]) -> list[Drift]:
    async with TopicAdmin(connection) as admin:
        observed = await admin.observe(s.name for s in specs)
    return [d for s in specs for d in find_drift(s, observed.get(s.name))]


async def apply_topics(
    connection: KafkaConnection, specs: list[TopicSpec], settle_s: float = SETTLE_TIMEOUT_S
) -> Reconciliation:
    """Bring every topic in line with its declaration where that is safe; idempotent."""
    async with TopicAdmin(connection) as admin:
        observed = await admin.observe(s.name for s in specs)
        created = await admin.create(s for s in specs if s.name not in observed)
        fixed = []
        for spec in specs:
            topic = observed.get(spec.name)
            if topic is None:
                continue
            drifts = [d for d in find_drift(spec, topic) if d.fixable]
            if any(d.setting == "partitions" for d in drifts):
                await admin.add_partitions(spec.name, spec.partitions)
            configs = {d.setting: d.declared for d in drifts if d.setting in spec.config}
            if configs:
                await admin.set_config(topic, configs)
            fixed.extend(drifts)
        remaining = await _settled(admin, specs, settle_s)
    return Reconciliation(created, fixed, remaining)


async def _settled(admin: TopicAdmin, specs: list[TopicSpec], settle_s: float) -> list[Drift]:
    """The drift left once the changes are visible; what could not be applied, or what
    someone else changed meanwhile."""
    deadline = time.monotonic() + settle_s
    while True:
        after = await admin.observe(s.name for s in specs)
        remaining = [d for s in specs for d in find_drift(s, after.get(s.name))]
        if all(not d.fixable for d in remaining) or time.monotonic() >= deadline:
            return remaining
        await asyncio.sleep(0.2)
