"""`fleetwire acls`: each role's least-privilege ACLs, as kafka-acls commands or Strimzi users.

Both renderings are pure functions of the plan (fleetwire.acls): what is printed is what
an operator applies, and what the least-privilege test applies to its broker.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from enum import StrEnum

from fleetwire.acls import Grant, PatternType, ResourceType, RoleAcls
from fleetwire.errors import ConfigError

KAFKA_ACLS = "kafka-acls.sh"
STRIMZI_API_VERSION = "kafka.strimzi.io/v1beta2"
# A KafkaUser's name is its SCRAM user name (or its certificate's CN): a DNS subdomain.
KUBERNETES_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


class Format(StrEnum):
    COMMANDS = "commands"
    STRIMZI = "strimzi"


class Authentication(StrEnum):
    """The KafkaUser authentication types fleetwire's clients can use."""

    SCRAM_SHA_512 = "scram-sha-512"
    TLS = "tls"


# kafka-acls names the resource by an option; the cluster takes no name.
RESOURCE_OPTIONS = {
    ResourceType.TOPIC: "--topic",
    ResourceType.GROUP: "--group",
    ResourceType.TRANSACTIONAL_ID: "--transactional-id",
}
STRIMZI_RESOURCE_TYPES = {
    ResourceType.TOPIC: "topic",
    ResourceType.GROUP: "group",
    ResourceType.TRANSACTIONAL_ID: "transactionalId",
    ResourceType.CLUSTER: "cluster",
}
STRIMZI_PATTERN_TYPES = {PatternType.LITERAL: "literal", PatternType.PREFIXED: "prefix"}


def acl_arguments(
    role: RoleAcls, grant: Grant, bootstrap_servers: str, command_config: str
) -> list[str]:
    """The arguments of kafka-acls (without the program name) that add `grant` for `role`."""
    args = [
        "--bootstrap-server",
        bootstrap_servers,
        "--command-config",
        command_config,
        "--add",
        "--allow-principal",
        role.principal,
    ]
    for operation in grant.operations:
        args += ["--operation", operation.value]
    if grant.resource_type is ResourceType.CLUSTER:
        args.append("--cluster")  # one cluster, no name, no pattern
    else:
        args += [RESOURCE_OPTIONS[grant.resource_type], grant.name]
        args += ["--resource-pattern-type", grant.pattern.value]
    return args


def render_commands(plan: Sequence[RoleAcls], bootstrap_servers: str, command_config: str) -> str:
    """One kafka-acls command per line, each role's under a comment naming it."""
    lines = [f"# fleetwire ACLs; run as a super-user, {command_config} holding its client settings"]
    for role in plan:
        lines.append(f"# {role.role.value}: {role.principal}")
        for grant in role.grants:
            args = acl_arguments(role, grant, bootstrap_servers, command_config)
            lines.append(shlex.join([KAFKA_ACLS, *args]))
    return "\n".join(lines) + "\n"


def command_lines(text: str) -> list[list[str]]:
    """The argument lists (without the program name) of the commands `render_commands` made."""
    commands = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        program, *args = shlex.split(line)
        if program != KAFKA_ACLS:
            raise ValueError(f"not a {KAFKA_ACLS} command: {line!r}")
        commands.append(args)
    return commands


def render_strimzi(plan: Sequence[RoleAcls], cluster: str, authentication: Authentication) -> str:
    """One KafkaUser per role, as a multi-document YAML stream.

    Every scalar is written as a JSON string, which YAML reads as the same string: a
    prefix such as `1` or `true` cannot turn into a number or a boolean.
    """
    return "---\n".join(_kafka_user(role, cluster, authentication) for role in plan)


def _kafka_user(role: RoleAcls, cluster: str, authentication: Authentication) -> str:
    name = role.user
    if not KUBERNETES_NAME.fullmatch(name):
        raise ConfigError(
            f"principal {role.principal!r} of role {role.role.value} cannot be a KafkaUser: "
            "Strimzi names the user after the resource, so use lower-case letters, digits, "
            "'-' and '.' (--principal ROLE=NAME)"
        )
    q = json.dumps
    lines = [
        f"apiVersion: {STRIMZI_API_VERSION}",
        "kind: KafkaUser",
        "metadata:",
        f"  name: {q(name)}",
        "  labels:",
        f"    strimzi.io/cluster: {q(cluster)}",
        "spec:",
        "  authentication:",
        f"    type: {authentication.value}",
        "  authorization:",
        "    type: simple",
        "    acls:",
    ]
    for grant in role.grants:
        lines += _strimzi_rule(grant)
    return "\n".join(lines) + "\n"


def _strimzi_rule(grant: Grant) -> list[str]:
    lines = ["      - resource:", f"          type: {STRIMZI_RESOURCE_TYPES[grant.resource_type]}"]
    if grant.resource_type is not ResourceType.CLUSTER:  # Strimzi's cluster has no name
        lines += [
            f"          name: {json.dumps(grant.name)}",
            f"          patternType: {STRIMZI_PATTERN_TYPES[grant.pattern]}",
        ]
    lines.append("        operations:")
    lines += [f"          - {operation.value}" for operation in grant.operations]
    lines.append('        host: "*"')
    return lines


def render(
    plan: Sequence[RoleAcls],
    output: Format,
    *,
    bootstrap_servers: str,
    command_config: str,
    cluster: str,
    authentication: Authentication,
) -> str:
    if output is Format.STRIMZI:
        return render_strimzi(plan, cluster, authentication)
    return render_commands(plan, bootstrap_servers, command_config)
