"""Topics as code: the declaration, drift found against it, and applying it on the real broker."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiokafka.admin import NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from hypothesis import given
from hypothesis import strategies as st

from commands.provision import layout, pipeline_topics
from fleetwire import clients
from fleetwire.errors import ConfigError
from fleetwire.settings import Settings
from fleetwire.topics import (
    DLQ_PARTITIONS,
    ObservedTopic,
    TopicLayout,
    TopicNames,
    TopicSpec,
    declared_topics,
    find_drift,
)
from providers.registry import installed
from schemas.catalog import DOMAINS
from tests.support.kafka import CONNECTION
from tests.support.processes import FLEETWIRE, environment, run
from tests.support.providers import NORMALIZERS

HOUR_MS = 3_600_000

layouts = st.builds(
    TopicLayout,
    raw_partitions=st.integers(1, 64),
    canonical_partitions=st.integers(1, 64),
    replication_factor=st.integers(1, 5),
    min_insync_replicas=st.integers(1, 5),
    raw_retention_hours=st.one_of(st.just(-1), st.integers(1, 100_000)),
    canonical_retention_hours=st.one_of(st.just(-1), st.integers(1, 100_000)),
    dlq_retention_hours=st.one_of(st.just(-1), st.integers(1, 100_000)),
    max_body_bytes=st.integers(1, 1 << 30),
)
providers = st.lists(
    st.sampled_from(installed().names),
    min_size=1,
    unique=True,
)
domains = st.lists(st.from_regex(r"[a-z]{1,12}", fullmatch=True), min_size=1, unique=True)


def as_declared(spec: TopicSpec) -> ObservedTopic:
    return ObservedTopic(spec.name, spec.partitions, spec.replication_factor, dict(spec.config))


@given(layouts, providers, domains)
def test_every_topic_is_declared_with_the_layout(
    topic_layout: TopicLayout, names: list[str], domain_names: list[str]
) -> None:
    specs = {s.name: s for s in declared_topics(TopicNames("p"), names, domain_names, topic_layout)}
    # and the replay ledger and the poll positions
    assert len(specs) == 2 * len(names) + len(domain_names) + 2
    expected = [
        (f"p.raw.{n}", topic_layout.raw_partitions, topic_layout.raw_retention_hours) for n in names
    ]
    expected += [(f"p.dlq.{n}", DLQ_PARTITIONS, topic_layout.dlq_retention_hours) for n in names]
    expected += [
        (
            f"p.canonical.{d}",
            topic_layout.canonical_partitions,
            topic_layout.canonical_retention_hours,
        )
        for d in domain_names
    ]
    expected += [("p.replay-ledger", 1, topic_layout.dlq_retention_hours)]
    for name, partitions, hours in expected:
        spec = specs[name]
        assert spec.partitions == partitions
        assert spec.replication_factor == topic_layout.replication_factor
        assert spec.config["retention.ms"] == str(hours * HOUR_MS if hours > 0 else -1)
        assert spec.config["cleanup.policy"] == "delete"
        assert spec.config["min.insync.replicas"] == str(topic_layout.min_insync_replicas)
        # a record holding the largest accepted body, plus headers, must fit
        assert int(spec.config["max.message.bytes"]) > topic_layout.max_body_bytes
    positions = specs["p.poll-positions"]
    # Only the latest position of a feed counts, and it must never expire.
    assert positions.config["cleanup.policy"] == "compact"
    assert "retention.ms" not in positions.config
    assert positions.partitions == 1
    assert positions.replication_factor == topic_layout.replication_factor


@given(
    layouts,
    st.integers(0, 8),
    st.integers(0, 3),
    st.dictionaries(st.sampled_from(["segment.ms", "compression.type"]), st.text(max_size=5)),
)
def test_a_topic_as_declared_or_with_more_has_no_drift(
    topic_layout: TopicLayout, more_partitions: int, more_replicas: int, other: dict[str, str]
) -> None:
    for spec in declared_topics(TopicNames("p"), ["zubie"], ["trips"], topic_layout):
        observed = as_declared(spec)
        observed = replace(
            observed,
            partitions=spec.partitions + more_partitions,
            replication_factor=spec.replication_factor + more_replicas,
            config={**other, **observed.config},
        )
        assert find_drift(spec, observed) == []


@given(layouts, st.data())
def test_each_difference_is_one_drift_naming_it(
    topic_layout: TopicLayout, data: st.DataObject
) -> None:
    spec = data.draw(
        st.sampled_from(declared_topics(TopicNames("p"), ["zubie"], ["trips"], topic_layout))
    )
    key = data.draw(st.sampled_from(sorted(spec.config)))
    wrong = data.draw(st.text(min_size=1, max_size=8).filter(lambda v: v != spec.config[key]))
    observed = as_declared(spec)
    [drift] = find_drift(spec, replace(observed, config={**observed.config, key: wrong}))
    assert (drift.setting, drift.declared, drift.actual, drift.fixable) == (
        key,
        spec.config[key],
        wrong,
        True,
    )
    assert key in str(drift)
    assert spec.name in str(drift)


def test_missing_topics_fewer_partitions_and_fewer_replicas_are_drift() -> None:
    spec = TopicSpec("p.raw.zubie", 6, 3, {"retention.ms": "1"})
    [missing] = find_drift(spec, None)
    assert (missing.setting, missing.fixable) == ("existence", True)
    observed = ObservedTopic("p.raw.zubie", 4, 2, {"retention.ms": "1"})
    drifts = {d.setting: d for d in find_drift(spec, observed)}
    assert set(drifts) == {"partitions", "replication factor"}
    assert (drifts["partitions"].actual, drifts["partitions"].declared) == ("4", "6")
    assert drifts["partitions"].fixable
    # Kafka has no safe in-place change of the replica count: reported, not applied.
    assert not drifts["replication factor"].fixable
    [unset] = find_drift(spec, replace(observed, partitions=6, replication_factor=3, config={}))
    assert unset.actual == "unset"


def test_settings_become_the_layout() -> None:
    settings = Settings.from_env(
        {
            "FLEETWIRE_RAW_PARTITIONS": "12",
            "FLEETWIRE_CANONICAL_PARTITIONS": "3",
            "FLEETWIRE_REPLICATION_FACTOR": "3",
            "FLEETWIRE_RAW_RETENTION_HOURS": "24",
            "FLEETWIRE_CANONICAL_RETENTION_HOURS": "-1",
            "FLEETWIRE_DLQ_RETENTION_HOURS": "48",
            "FLEETWIRE_MAX_BODY_BYTES": "2048",
        }
    )
    assert layout(settings) == TopicLayout(
        raw_partitions=12,
        canonical_partitions=3,
        replication_factor=3,
        min_insync_replicas=2,
        raw_retention_hours=24,
        canonical_retention_hours=-1,
        dlq_retention_hours=48,
        max_body_bytes=2048,
    )
    specs = pipeline_topics(settings)
    assert {s.name for s in specs} >= {
        "fleetwire.raw.zubie",
        "fleetwire.dlq.zubie",
        "fleetwire.raw.geotab",  # written by `fleetwire poll`
        "fleetwire.poll-positions",
    }
    # and the replay ledger and the poll positions
    assert len(specs) == 2 * len(NORMALIZERS) + len(DOMAINS) + 2


@pytest.mark.parametrize(("replicas", "min_insync"), [("1", 1), ("2", 1), ("3", 2), ("5", 4)])
def test_min_insync_replicas_defaults_to_one_replica_fewer(replicas: str, min_insync: int) -> None:
    settings = Settings.from_env({"FLEETWIRE_REPLICATION_FACTOR": replicas})
    assert settings.min_insync_replicas == min_insync


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"FLEETWIRE_REPLICATION_FACTOR": "1", "FLEETWIRE_MIN_INSYNC_REPLICAS": "2"},
            "FLEETWIRE_MIN_INSYNC_REPLICAS",
        ),
        ({"FLEETWIRE_REPLICATION_FACTOR": "0"}, "FLEETWIRE_REPLICATION_FACTOR"),
        ({"FLEETWIRE_RAW_RETENTION_HOURS": "0"}, "FLEETWIRE_RAW_RETENTION_HOURS"),
        ({"FLEETWIRE_DLQ_RETENTION_HOURS": "-2"}, "FLEETWIRE_DLQ_RETENTION_HOURS"),
        ({"FLEETWIRE_CANONICAL_RETENTION_HOURS": "week"}, "FLEETWIRE_CANONICAL_RETENTION_HOURS"),
    ],
)
def test_impossible_topic_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


# --- against the real broker ------------------------------------------------------------


def topic_env(prefix: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    small = {"FLEETWIRE_RAW_PARTITIONS": "2", "FLEETWIRE_CANONICAL_PARTITIONS": "2"}
    return environment(prefix, tmp_path / "unused-sources.toml", **{**small, **extra})


def settings_for(prefix: str) -> Settings:
    return Settings.from_env(topic_env(prefix, Path()))


async def describe(names: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """Partition count and config of each topic, read with the plain admin client."""
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        shapes = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        )
        configs = {r[3]: {e[0]: e[1] for e in r[4]} for r in response.resources}
        return {n: (shapes[n], configs[n]) for n in names}
    finally:
        await admin.close()


def wait_for(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the broker did not apply the change in time"
        time.sleep(0.2)


async def admin_do(action: str, *args: object) -> None:
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        await getattr(admin, action)(*args)
    finally:
        await admin.close()


@pytest.mark.kafka
def test_topics_are_created_as_declared_and_creating_again_changes_nothing(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = topic_env(prefix, tmp_path)
    before = run(["topics", "--check"], env)
    assert before.returncode == 1
    assert "existence is missing" in before.stdout

    # Two provisioners at once (two deploys racing) both succeed.
    racers = [
        subprocess.Popen(
            [str(FLEETWIRE), "topics"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=60) for r in racers]
    assert [r.returncode for r in racers] == [0, 0], outputs

    again = run(["topics"], env)
    assert again.returncode == 0, again.stderr
    assert " 0 created, 0 changed" in again.stdout
    check = run(["topics", "--check"], env)
    assert (check.returncode, check.stdout.count("drift")) == (0, 0), check.stdout

    specs = pipeline_topics(settings_for(prefix))
    actual = asyncio.run(describe([s.name for s in specs]))
    for spec in specs:
        partitions, config = actual[spec.name]
        assert partitions == spec.partitions
        assert {k: config[k] for k in spec.config} == dict(spec.config)


@pytest.mark.kafka
def test_drift_is_reported_then_applied_keeping_other_topic_settings(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = topic_env(prefix, tmp_path)
    raw, canonical = f"{prefix}.raw.zubie", f"{prefix}.canonical.trips"
    # Someone created the raw topic by hand, too small, and tuned the canonical one.
    asyncio.run(
        admin_do(
            "create_topics", [NewTopic(raw, 1, 1, topic_configs={"retention.ms": str(HOUR_MS)})]
        )
    )
    first = run(["topics"], env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"changed {raw}: partitions 1 -> 2" in first.stdout
    assert f"changed {raw}: retention.ms {HOUR_MS} -> {7 * 24 * HOUR_MS}" in first.stdout
    asyncio.run(
        admin_do(
            "alter_configs",
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    canonical,
                    {"cleanup.policy": "compact", "segment.ms": "3600000"},
                )
            ],
        )
    )

    # Brokers apply a config change shortly after accepting it.
    wait_for(
        lambda: asyncio.run(describe([canonical]))[canonical][1]["cleanup.policy"] == "compact"
    )

    check = run(["topics", "--check"], env)
    assert check.returncode == 1
    assert f"{canonical}: cleanup.policy is compact, declared delete" in check.stdout
    # The hand-made raw topic was given its partitions and retention by the first run.
    assert raw not in check.stdout

    applied = run(["topics"], env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"changed {canonical}: cleanup.policy compact -> delete" in applied.stdout
    assert run(["topics", "--check"], env).returncode == 0

    actual = asyncio.run(describe([raw, canonical]))
    assert actual[raw][0] == 2
    assert actual[raw][1]["retention.ms"] == str(7 * 24 * HOUR_MS)
    assert actual[canonical][1]["cleanup.policy"] == "delete"
    assert actual[canonical][1]["segment.ms"] == "3600000"  # an operator's own setting stays


@pytest.mark.kafka
def test_partitions_below_the_declared_count_are_added(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    assert run(["topics"], topic_env(prefix, tmp_path)).returncode == 0
    more = topic_env(prefix, tmp_path, FLEETWIRE_RAW_PARTITIONS="4")
    check = run(["topics", "--check"], more)
    assert check.returncode == 1
    assert f"{prefix}.raw.zubie: partitions is 2, declared 4" in check.stdout
    assert run(["topics"], more).returncode == 0
    assert asyncio.run(describe([f"{prefix}.raw.zubie"]))[f"{prefix}.raw.zubie"][0] == 4
    # Declaring fewer than exist is no drift: Kafka cannot remove partitions.
    assert run(["topics", "--check"], topic_env(prefix, tmp_path)).returncode == 0


@pytest.mark.kafka
def test_fewer_replicas_than_declared_is_reported_never_forced(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    assert run(["topics"], topic_env(prefix, tmp_path)).returncode == 0
    production = topic_env(prefix, tmp_path, FLEETWIRE_REPLICATION_FACTOR="2")
    check = run(["topics", "--check"], production)
    assert check.returncode == 1
    assert f"{prefix}.raw.zubie: replication factor is 1, declared 2" in check.stdout
    applied = run(["topics"], production)
    assert applied.returncode == 1
    assert "not applied" in applied.stdout
    assert "kafka-reassign-partitions" in applied.stdout


@pytest.mark.kafka
def test_a_replication_factor_beyond_the_cluster_fails_clearly(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    result = run(["topics"], topic_env(prefix, tmp_path, FLEETWIRE_REPLICATION_FACTOR="3"))
    assert result.returncode == 2
    assert "FLEETWIRE_REPLICATION_FACTOR" in result.stderr
    assert "Traceback" not in result.stderr
