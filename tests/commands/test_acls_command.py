"""`fleetwire acls`: the kafka-acls commands and Strimzi KafkaUsers say exactly the model."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from commands.acls import (
    Authentication,
    command_lines,
    render_commands,
    render_strimzi,
)
from commands.cli import main
from fleetwire.acls import (
    CLUSTER_RESOURCE,
    Grant,
    Operation,
    PatternType,
    ResourceType,
    Role,
    RoleAcls,
    acl_plan,
)
from fleetwire.errors import ConfigError
from tests.fleetwire.test_acls import PREFIXES

BOOTSTRAP = "broker-1.example.com:9093,broker-2.example.com:9093"
STRIMZI_TYPES = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "transactionalId": ResourceType.TRANSACTIONAL_ID,
    "cluster": ResourceType.CLUSTER,
}
STRIMZI_PATTERNS = {"literal": PatternType.LITERAL, "prefix": PatternType.PREFIXED}
KAFKA_ACLS_OPTIONS = {
    "--topic": ResourceType.TOPIC,
    "--group": ResourceType.GROUP,
    "--transactional-id": ResourceType.TRANSACTIONAL_ID,
}


def parse_command(args: list[str]) -> tuple[str, str, Grant]:
    """(command config, principal, grant) of one kafka-acls argument list, as the tool reads it."""
    options: dict[str, list[str]] = {}
    flags: set[str] = set()
    rest = list(args)
    while rest:
        option = rest.pop(0)
        if option in ("--add", "--cluster"):
            flags.add(option)
        else:
            options.setdefault(option, []).append(rest.pop(0))
    assert "--add" in flags
    assert options["--bootstrap-server"] == [BOOTSTRAP]
    [principal] = options.pop("--allow-principal")
    operations = tuple(Operation(o) for o in options.pop("--operation"))
    if "--cluster" in flags:
        assert not {"--resource-pattern-type", *KAFKA_ACLS_OPTIONS} & set(options)
        grant = Grant(ResourceType.CLUSTER, CLUSTER_RESOURCE, PatternType.LITERAL, operations)
    else:
        [(option, [name])] = [(o, v) for o, v in options.items() if o in KAFKA_ACLS_OPTIONS]
        [pattern] = options["--resource-pattern-type"]
        grant = Grant(KAFKA_ACLS_OPTIONS[option], name, PatternType(pattern), operations)
    [config] = options["--command-config"]
    return config, principal, grant


@given(PREFIXES, st.text(alphabet="abc.-_ $'\"", min_size=1, max_size=12))
def test_the_commands_add_every_grant_of_every_role_and_nothing_else(
    prefix: str, group: str
) -> None:
    plan = acl_plan(prefix, consumer_group=group)
    text = render_commands(plan, BOOTSTRAP, "/etc/kafka/admin properties")
    parsed = [parse_command(args) for args in command_lines(text)]
    assert {config for config, _, _ in parsed} == {"/etc/kafka/admin properties"}
    assert [(principal, grant) for _, principal, grant in parsed] == [
        (role.principal, grant) for role in plan for grant in role.grants
    ]


def test_the_commands_are_one_per_line_under_a_comment_per_role() -> None:
    text = render_commands(acl_plan("prod", [Role.INGRESS]), "k:9093", "admin.properties")
    assert text.splitlines() == [
        "# fleetwire ACLs; run as a super-user, admin.properties holding its client settings",
        "# ingress: User:fleetwire-ingress",
        "kafka-acls.sh --bootstrap-server k:9093 --command-config admin.properties --add "
        "--allow-principal User:fleetwire-ingress --operation Write --operation Describe "
        "--topic prod.raw. --resource-pattern-type prefixed",
        "kafka-acls.sh --bootstrap-server k:9093 --command-config admin.properties --add "
        "--allow-principal User:fleetwire-ingress --operation IdempotentWrite --cluster",
    ]


def test_reading_commands_back_refuses_anything_else() -> None:
    with pytest.raises(ValueError, match=r"not a kafka-acls\.sh command"):
        command_lines("rm -rf /\n")


def strimzi_grants(document: dict[str, Any]) -> list[Grant]:
    spec = document["spec"]
    assert spec["authorization"]["type"] == "simple"
    found = []
    for rule in spec["authorization"]["acls"]:
        resource = rule["resource"]
        kind = STRIMZI_TYPES[resource["type"]]
        assert rule["host"] == "*"
        operations = tuple(Operation(o) for o in rule["operations"])
        if kind is ResourceType.CLUSTER:
            assert set(resource) == {"type"}
            found.append(Grant(kind, CLUSTER_RESOURCE, PatternType.LITERAL, operations))
        else:
            pattern = STRIMZI_PATTERNS[resource["patternType"]]
            found.append(Grant(kind, resource["name"], pattern, operations))
    return found


@pytest.mark.parametrize("authentication", list(Authentication))
@given(prefix=PREFIXES)
def test_the_strimzi_users_parse_and_hold_exactly_the_model(
    authentication: Authentication, prefix: str
) -> None:
    plan = acl_plan(prefix, consumer_group="true")  # YAML would read a bare true as a boolean
    documents = list(yaml.safe_load_all(render_strimzi(plan, "my-cluster", authentication)))
    assert len(documents) == len(plan)
    for role, document in zip(plan, documents, strict=True):
        assert document["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert document["kind"] == "KafkaUser"
        assert document["metadata"] == {
            "name": role.user,
            "labels": {"strimzi.io/cluster": "my-cluster"},
        }
        assert document["spec"]["authentication"] == {"type": authentication.value}
        assert strimzi_grants(document) == list(role.grants)


@pytest.mark.parametrize("principal", ["User:Edge_Gateway", "User:CN=edge,O=fleet", "User:-x"])
def test_a_principal_that_cannot_name_a_kafka_user_is_refused(principal: str) -> None:
    plan = [RoleAcls(Role.INGRESS, principal, ())]
    with pytest.raises(ConfigError, match=r"cannot be a KafkaUser.*--principal"):
        render_strimzi(plan, "c", Authentication.TLS)


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setenv("FLEETWIRE_TOPIC_PREFIX", "prod")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP)
    code = main(["acls", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_every_role_for_the_configured_prefix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli([], capsys, monkeypatch)
    assert code == 0
    assert out == render_commands(acl_plan("prod"), BOOTSTRAP, "admin.properties")
    assert [shlex.split(line)[0] for line in out.splitlines() if line[0] != "#"] == [
        "kafka-acls.sh"
    ] * sum(len(r.grants) for r in acl_plan("prod"))


def test_the_command_takes_roles_principals_group_and_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(
        [
            "--role",
            "consumer",
            "--role",
            "ingress",
            "--principal",
            "consumer=analytics",
            "--consumer-group",
            "analytics-v2",
            "--command-config",
            "/run/admin.properties",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0
    plan = acl_plan(
        "prod", [Role.CONSUMER, Role.INGRESS], {Role.CONSUMER: "User:analytics"}, "analytics-v2"
    )
    assert out == render_commands(plan, BOOTSTRAP, "/run/admin.properties")


def test_the_command_prints_strimzi_users(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--format", "strimzi", "--strimzi-cluster", "prod-kafka", "--authentication", "tls"]
    code, out, _ = run_cli(args, capsys, monkeypatch)
    assert code == 0
    documents = list(yaml.safe_load_all(out))
    assert [d["metadata"]["name"] for d in documents] == [f"fleetwire-{r}" for r in Role]
    assert {d["metadata"]["labels"]["strimzi.io/cluster"] for d in documents} == {"prod-kafka"}
    assert {d["spec"]["authentication"]["type"] for d in documents} == {"tls"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "strimzi"], "--strimzi-cluster"),
        (["--principal", "nobody=x"], "unknown role 'nobody'"),
        (
            ["--format", "strimzi", "--strimzi-cluster", "c", "--principal", "ingress=Edge"],
            "cannot be a KafkaUser",
        ),
    ],
)
def test_the_command_says_what_is_wrong(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_cli(args, capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith("fleetwire: error: ")
    assert says in err
    assert len(err.splitlines()) == 1


OPERATIONS_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_operations_guide_lists_exactly_the_models_rights() -> None:
    """docs/operations.md's table of rights is the model's, for `{prefix}` and `{group}`."""
    rows = []
    for line in OPERATIONS_GUIDE.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        if len(cells) == 6 and cells[0] in {r.value for r in Role}:
            rows.append(tuple(cells))
    expected = [
        (
            role.role.value,
            role.principal,
            grant.resource_type.value,
            grant.name,
            grant.pattern.value,
            ", ".join(o.value for o in grant.operations),
        )
        for role in acl_plan("{prefix}", consumer_group="{group}")
        for grant in role.grants
    ]
    assert rows == expected
