"""Least privilege on Kafka: the rights each fleetwire role needs, and nothing more.

Pure: the rights are derived from the topic prefix alone (CONTRACT.md, "Connecting to a
secured Kafka"). `fleetwire acls` renders them for an operator (commands.acls);
the least-privilege test applies exactly that rendering to a broker that denies
everything else, then runs every role under its own principal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from fleetwire.errors import ConfigError
from fleetwire.topics import TopicNames

# Kafka has one cluster resource, always named this.
CLUSTER_RESOURCE = "kafka-cluster"
PRINCIPAL_TYPE = "User:"


class Role(StrEnum):
    INGRESS = "ingress"
    PROCESSOR = "processor"
    REPLAY = "replay"
    TOPICS = "topics"
    CONSUMER = "consumer"
    POLLER = "poller"

    @property
    def default_principal(self) -> str:
        return f"{PRINCIPAL_TYPE}fleetwire-{self.value}"


class ResourceType(StrEnum):
    TOPIC = "topic"
    GROUP = "group"
    TRANSACTIONAL_ID = "transactional-id"
    CLUSTER = "cluster"


class PatternType(StrEnum):
    LITERAL = "literal"
    PREFIXED = "prefixed"


class Operation(StrEnum):
    """Kafka's operation names, spelt as kafka-acls and Strimzi both accept them."""

    READ = "Read"
    WRITE = "Write"
    CREATE = "Create"
    ALTER = "Alter"
    DESCRIBE = "Describe"
    DESCRIBE_CONFIGS = "DescribeConfigs"
    ALTER_CONFIGS = "AlterConfigs"
    IDEMPOTENT_WRITE = "IdempotentWrite"


# Kafka's authorizer lets these imply DESCRIBE (and only DESCRIBE) on the same resource.
IMPLIES_DESCRIBE = frozenset({Operation.READ, Operation.WRITE, Operation.ALTER})


@dataclass(frozen=True)
class Grant:
    """Some operations allowed on the resources one pattern matches."""

    resource_type: ResourceType
    name: str
    pattern: PatternType
    operations: tuple[Operation, ...]

    def matches(self, resource_type: ResourceType, name: str) -> bool:
        if resource_type is not self.resource_type:
            return False
        if self.pattern is PatternType.PREFIXED:
            return name.startswith(self.name)
        return name == self.name

    def allows(self, resource_type: ResourceType, name: str, operation: Operation) -> bool:
        """Whether Kafka's StandardAuthorizer would allow `operation` by this grant."""
        if not self.matches(resource_type, name):
            return False
        if operation in self.operations:
            return True
        return operation is Operation.DESCRIBE and bool(IMPLIES_DESCRIBE & set(self.operations))


@dataclass(frozen=True)
class RoleAcls:
    role: Role
    principal: str  # e.g. User:fleetwire-ingress
    grants: tuple[Grant, ...]

    @property
    def user(self) -> str:
        """The principal's name without its type: the SCRAM user or certificate name."""
        return self.principal.removeprefix(PRINCIPAL_TYPE)

    def allows(self, resource_type: ResourceType, name: str, operation: Operation) -> bool:
        return any(g.allows(resource_type, name, operation) for g in self.grants)


def default_consumer_group(prefix: str) -> str:
    """The downstream consumer's group when none is named: `{prefix}.consumer`."""
    return f"{prefix}.consumer"


def _prefixed(kind: ResourceType, name: str, *operations: Operation) -> Grant:
    return Grant(kind, name, PatternType.PREFIXED, operations)


def _literal(kind: ResourceType, name: str, *operations: Operation) -> Grant:
    return Grant(kind, name, PatternType.LITERAL, operations)


def grants(role: Role, prefix: str, consumer_group: str | None = None) -> tuple[Grant, ...]:
    """The minimal rights of `role` for the topics under `prefix` (CONTRACT.md's list)."""
    topics = TopicNames(prefix)
    raw, canonical, dlq = topics.raw(""), topics.canonical(""), topics.dead_letter("")
    read = (Operation.READ, Operation.DESCRIBE)
    write = (Operation.WRITE, Operation.DESCRIBE)
    topic, group, txn = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID
    # Processors' transactional ids are `{prefix}.processor.{topic}.{partition}` and the
    # replay's `{prefix}.replay`: one prefix covers both.
    transactions = _prefixed(txn, f"{prefix}.", *write)
    by_role: Mapping[Role, tuple[Grant, ...]] = {
        Role.INGRESS: (
            _prefixed(topic, raw, *write),
            _literal(ResourceType.CLUSTER, CLUSTER_RESOURCE, Operation.IDEMPOTENT_WRITE),
        ),
        Role.PROCESSOR: (
            _prefixed(topic, raw, *read),
            _literal(group, f"{prefix}.processor", Operation.READ),
            _prefixed(topic, canonical, *write),
            _prefixed(topic, dlq, *write),
            transactions,
        ),
        Role.REPLAY: (
            _prefixed(topic, dlq, *read),
            _prefixed(topic, raw, *write),
            _literal(topic, topics.replay_ledger(), Operation.READ, *write),
            transactions,
        ),
        Role.TOPICS: (
            _prefixed(
                topic,
                f"{prefix}.",
                Operation.CREATE,
                Operation.ALTER,
                Operation.DESCRIBE,
                Operation.DESCRIBE_CONFIGS,
                Operation.ALTER_CONFIGS,
            ),
        ),
        Role.CONSUMER: (
            _prefixed(topic, canonical, *read),
            _literal(group, consumer_group or default_consumer_group(prefix), Operation.READ),
        ),
        # Its transactional ids are `{prefix}.poll.{source}`; it reads its positions back
        # with read_committed, without a consumer group.
        Role.POLLER: (
            _prefixed(topic, raw, *write),
            _literal(topic, topics.poll_positions(), Operation.READ, *write),
            _prefixed(txn, f"{prefix}.poll.", *write),
        ),
    }
    return by_role[role]


def acl_plan(
    prefix: str,
    roles: Iterable[Role] = tuple(Role),
    principals: Mapping[Role, str] | None = None,
    consumer_group: str | None = None,
) -> list[RoleAcls]:
    """Every role asked for, in the order given, with its principal and rights."""
    chosen = principals or {}
    plan = []
    for role in dict.fromkeys(roles):  # each role once, in order
        principal = chosen.get(role, role.default_principal)
        plan.append(RoleAcls(role, principal, grants(role, prefix, consumer_group)))
    return plan


def parse_principal(text: str) -> tuple[Role, str]:
    """`ROLE=NAME` (or `ROLE=User:NAME`) from the command line."""
    role_name, sep, name = text.partition("=")
    name = name.strip()
    if not sep or not name.removeprefix(PRINCIPAL_TYPE):
        raise ConfigError(f"--principal {text!r}: use ROLE=NAME, e.g. ingress=User:ingress-prod")
    try:
        role = Role(role_name.strip())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ConfigError(
            f"--principal {text!r}: unknown role {role_name!r}; use one of {choices}"
        ) from None
    if ":" in name and not name.startswith(PRINCIPAL_TYPE):
        raise ConfigError(
            f"--principal {text!r}: Kafka ACLs name users as User:NAME; other principal types "
            "are not supported"
        )
    return role, name if name.startswith(PRINCIPAL_TYPE) else f"{PRINCIPAL_TYPE}{name}"
