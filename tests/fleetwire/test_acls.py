"""The least-privilege model: CONTRACT.md's list of rights per role, derived from the prefix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.acls import (
    CLUSTER_RESOURCE,
    Grant,
    Operation,
    PatternType,
    ResourceType,
    Role,
    acl_plan,
    grants,
    parse_principal,
)
from fleetwire.errors import ConfigError
from fleetwire.topics import TopicNames
from poll.transactions import transactional_id
from providers.registry import installed

# Kafka topic prefixes as FLEETWIRE_TOPIC_PREFIX accepts them (fleetwire.settings._prefix).
PREFIXES = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
    min_size=1,
    max_size=40,
)
PROVIDERS = st.sampled_from(installed().names)
DOMAINS = st.sampled_from(["vehicle", "driving", "device", "driver", "charger"])
ALL_OPERATIONS = list(Operation)


def contract(prefix: str, group: str) -> dict[Role, set[str]]:
    """CONTRACT.md's list, written out by hand: `type pattern name: operations`."""
    p = prefix
    return {
        Role.INGRESS: {
            f"topic prefixed {p}.raw.: Write,Describe",
            f"cluster literal {CLUSTER_RESOURCE}: IdempotentWrite",
        },
        Role.PROCESSOR: {
            f"topic prefixed {p}.raw.: Read,Describe",
            f"group literal {p}.processor: Read",
            f"topic prefixed {p}.canonical.: Write,Describe",
            f"topic prefixed {p}.dlq.: Write,Describe",
            f"transactional-id prefixed {p}.: Write,Describe",
        },
        Role.REPLAY: {
            f"topic prefixed {p}.dlq.: Read,Describe",
            f"topic prefixed {p}.raw.: Write,Describe",
            f"topic literal {p}.replay-ledger: Read,Write,Describe",
            f"transactional-id prefixed {p}.: Write,Describe",
        },
        Role.TOPICS: {
            f"topic prefixed {p}.: Create,Alter,Describe,DescribeConfigs,AlterConfigs",
        },
        Role.CONSUMER: {
            f"topic prefixed {p}.canonical.: Read,Describe",
            f"group literal {group}: Read",
        },
        Role.POLLER: {
            f"topic prefixed {p}.raw.: Write,Describe",
            f"topic literal {p}.poll-positions: Read,Write,Describe",
            f"transactional-id prefixed {p}.poll.: Write,Describe",
        },
    }


def described(grant: Grant) -> str:
    operations = ",".join(o.value for o in grant.operations)
    return f"{grant.resource_type} {grant.pattern} {grant.name}: {operations}"


@given(PREFIXES, st.text(min_size=1, max_size=20))
def test_every_role_has_exactly_the_contracts_rights(prefix: str, group: str) -> None:
    expected = contract(prefix, group)
    for role in Role:
        assert {described(g) for g in grants(role, prefix, group)} == expected[role]
        assert len(grants(role, prefix, group)) == len(expected[role])  # no duplicates


def test_the_consumer_group_defaults_to_the_prefix_dot_consumer() -> None:
    [topic, group] = grants(Role.CONSUMER, "prod")
    assert (group.resource_type, group.name, group.pattern) == (
        ResourceType.GROUP,
        "prod.consumer",
        PatternType.LITERAL,
    )
    assert topic.name == "prod.canonical."


def test_the_rights_cover_the_names_the_processes_use() -> None:
    names = TopicNames("prod")
    processor = acl_plan("prod", [Role.PROCESSOR])[0]
    # The processors' transactional ids (processors.delivery) and the replay's.
    assert processor.allows(
        ResourceType.TRANSACTIONAL_ID, "prod.processor.prod.raw.zubie.3", Operation.WRITE
    )
    replay = acl_plan("prod", [Role.REPLAY])[0]
    assert replay.allows(ResourceType.TRANSACTIONAL_ID, "prod.replay", Operation.WRITE)
    # The poller's transactional ids (poll.transactions) and its positions, read back.
    poller = acl_plan("prod", [Role.POLLER])[0]
    assert poller.allows(
        ResourceType.TRANSACTIONAL_ID, transactional_id("prod", "fleet"), Operation.WRITE
    )
    assert not poller.allows(ResourceType.TRANSACTIONAL_ID, "prod.processor.x.0", Operation.WRITE)
    assert not poller.allows(ResourceType.TRANSACTIONAL_ID, "prod.replay", Operation.WRITE)
    for operation in (Operation.READ, Operation.WRITE, Operation.DESCRIBE):
        assert poller.allows(ResourceType.TOPIC, names.poll_positions(), operation)
    assert poller.allows(ResourceType.TOPIC, names.raw("geotab"), Operation.WRITE)
    assert not poller.allows(ResourceType.TOPIC, names.raw("geotab"), Operation.READ)
    assert not poller.allows(ResourceType.TOPIC, names.canonical("vehicle"), Operation.WRITE)
    assert replay.allows(ResourceType.TOPIC, names.replay_ledger(), Operation.READ)
    assert replay.allows(ResourceType.TOPIC, names.raw("zubie"), Operation.WRITE)
    assert not replay.allows(ResourceType.TOPIC, names.raw("zubie"), Operation.READ)


@given(PREFIXES, PROVIDERS, DOMAINS)
def test_each_role_is_refused_what_it_must_not_do(prefix: str, provider: str, domain: str) -> None:
    names = TopicNames(prefix)
    plan = {r.role: r for r in acl_plan(prefix)}
    raw, dlq, canonical = names.raw(provider), names.dead_letter(provider), names.canonical(domain)
    topic = ResourceType.TOPIC

    ingress = plan[Role.INGRESS]
    assert ingress.allows(topic, raw, Operation.WRITE)
    assert not ingress.allows(topic, raw, Operation.READ)
    for name in (canonical, dlq, names.replay_ledger()):
        assert not any(ingress.allows(topic, name, op) for op in ALL_OPERATIONS), name

    consumer = plan[Role.CONSUMER]
    assert consumer.allows(topic, canonical, Operation.READ)
    for name in (raw, dlq, names.replay_ledger()):
        assert not any(consumer.allows(topic, name, op) for op in ALL_OPERATIONS), name
    assert not consumer.allows(topic, canonical, Operation.WRITE)
    assert not consumer.allows(ResourceType.CLUSTER, CLUSTER_RESOURCE, Operation.IDEMPOTENT_WRITE)

    processor = plan[Role.PROCESSOR]
    for name in (raw, dlq, canonical):
        assert not processor.allows(topic, name, Operation.CREATE)
    assert not processor.allows(topic, canonical, Operation.READ)

    for role in plan.values():
        # Only the topics role administers topics, and nobody administers the cluster.
        if role.role is not Role.TOPICS:
            assert not any(
                role.allows(topic, raw, op)
                for op in (Operation.CREATE, Operation.ALTER, Operation.ALTER_CONFIGS)
            )
        assert not role.allows(ResourceType.CLUSTER, CLUSTER_RESOURCE, Operation.ALTER)
        assert not role.allows(ResourceType.CLUSTER, CLUSTER_RESOURCE, Operation.CREATE)


@given(PREFIXES, PROVIDERS, st.sampled_from(["x", "-2", "_other", "2"]))
def test_no_role_reaches_the_topics_of_a_longer_prefix(
    prefix: str, provider: str, suffix: str
) -> None:
    """`prod` must not reach `prod2.raw.zubie`: every pattern ends in the prefix's dot.

    (A prefix nested under another at a dot, `prod.staging`, is inside `prod.`, which the
    topics role and the transactional ids cover: docs/operations.md says not to do that.)"""
    other = TopicNames(prefix + suffix)
    for role in acl_plan(prefix):
        for name in (other.raw(provider), other.dead_letter(provider), other.canonical("vehicle")):
            assert not any(role.allows(ResourceType.TOPIC, name, op) for op in ALL_OPERATIONS), (
                role.role,
                name,
            )


def test_describe_is_implied_by_read_and_write_only() -> None:
    read = Grant(ResourceType.GROUP, "g", PatternType.LITERAL, (Operation.READ,))
    assert read.allows(ResourceType.GROUP, "g", Operation.DESCRIBE)
    assert not read.allows(ResourceType.GROUP, "g", Operation.WRITE)
    assert not read.allows(ResourceType.GROUP, "g2", Operation.READ)
    assert not read.allows(ResourceType.TOPIC, "g", Operation.READ)
    configs = Grant(ResourceType.TOPIC, "t", PatternType.LITERAL, (Operation.DESCRIBE_CONFIGS,))
    assert not configs.allows(ResourceType.TOPIC, "t", Operation.DESCRIBE)


def test_the_plan_keeps_the_order_asked_for_once_each_and_the_principals_given() -> None:
    plan = acl_plan(
        "p",
        [Role.CONSUMER, Role.INGRESS, Role.CONSUMER],
        {Role.INGRESS: "User:edge"},
        "analytics",
    )
    assert [(r.role, r.principal, r.user) for r in plan] == [
        (Role.CONSUMER, "User:fleetwire-consumer", "fleetwire-consumer"),
        (Role.INGRESS, "User:edge", "edge"),
    ]
    assert plan[0].grants[1].name == "analytics"
    assert [r.role for r in acl_plan("p")] == list(Role)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ingress=edge", (Role.INGRESS, "User:edge")),
        ("consumer=User:analytics", (Role.CONSUMER, "User:analytics")),
        ("topics = User:CN=ops,O=fleet", (Role.TOPICS, "User:CN=ops,O=fleet")),
    ],
)
def test_principals_are_read_as_role_equals_name(text: str, expected: tuple[Role, str]) -> None:
    assert parse_principal(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("edge", "ROLE=NAME"),
        ("ingress=", "ROLE=NAME"),
        ("ingress=User:", "ROLE=NAME"),
        ("gateway=edge", "unknown role 'gateway'"),
        ("ingress=Group:edge", "User:NAME"),
    ],
)
def test_a_wrong_principal_says_what_to_write(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match="--principal") as raised:
        parse_principal(text)
    assert says in str(raised.value)
