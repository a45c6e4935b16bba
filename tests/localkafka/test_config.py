"""server.properties rendering: one node, three nodes, secured listeners, extra config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localkafka import config
from localkafka.config import ClusterLayout, NodePorts, TlsFiles
from localkafka.errors import LauncherError

DATA = Path("/state/node-1/data")
TLS = TlsFiles(Path("/state/tls/broker-1-keystore.pem"), Path("/state/tls/ca.pem"))
USERS = {"admin": "pw-admin", "fleetwire-ingress": "pw-ingress"}


def props(layout: ClusterLayout, node_id: int = 1, tls: TlsFiles | None = None) -> dict[str, str]:
    return config.node_properties(layout, node_id, data_dir=DATA, tls=tls)


def single() -> ClusterLayout:
    return ClusterLayout(nodes=config.plan_ports(1, config.PLAINTEXT, 29092, 29093))


def secured(brokers: int = 1) -> ClusterLayout:
    return ClusterLayout(
        nodes=config.plan_ports(brokers, config.SECURED, 29200),
        security=config.SECURED,
        users=USERS,
    )


def test_a_single_node_replicates_everything_once() -> None:
    p = props(single())
    assert p["process.roles"] == "broker,controller"
    assert p["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert p["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert p["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert p["log.dirs"] == str(DATA)
    for key in (
        "default.replication.factor",
        "min.insync.replicas",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
    ):
        assert p[key] == "1", key
    assert p["auto.create.topics.enable"] == "false"
    assert "authorizer.class.name" not in p


def test_three_nodes_share_static_voters_and_replicate_three_times() -> None:
    layout = ClusterLayout(nodes=config.plan_ports(3, config.PLAINTEXT, 29092, 29093))
    rendered = [props(layout, n) for n in (1, 2, 3)]
    voters = "1@127.0.0.1:29093,2@127.0.0.1:29103,3@127.0.0.1:29113"
    assert {p["controller.quorum.voters"] for p in rendered} == {voters}
    assert [p["node.id"] for p in rendered] == ["1", "2", "3"]
    assert rendered[2]["listeners"] == "PLAINTEXT://127.0.0.1:29112,CONTROLLER://127.0.0.1:29113"
    p = rendered[1]
    assert p["default.replication.factor"] == p["offsets.topic.replication.factor"] == "3"
    assert p["transaction.state.log.replication.factor"] == "3"
    assert p["min.insync.replicas"] == p["transaction.state.log.min.isr"] == "2"


def test_secured_listeners_leave_no_unauthenticated_way_in() -> None:
    p = props(secured(), tls=TLS)
    assert "PLAINTEXT" not in p["listeners"]
    assert "PLAINTEXT" not in p["listener.security.protocol.map"]
    assert p["listeners"] == (
        "SASL_SSL://127.0.0.1:29202,MTLS://127.0.0.1:29203,CONTROLLER://127.0.0.1:29201"
    )
    assert p["listener.security.protocol.map"] == "CONTROLLER:SSL,SASL_SSL:SASL_SSL,MTLS:SSL"
    assert p["inter.broker.listener.name"] == "MTLS"
    assert p["listener.name.mtls.ssl.client.auth"] == "required"
    assert p["listener.name.controller.ssl.client.auth"] == "required"
    assert p["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert p["allow.everyone.if.no.acl.found"] == "false"
    assert p["super.users"] == "User:admin;User:kafka-broker"
    assert p["ssl.keystore.type"] == p["ssl.truststore.type"] == "PEM"
    assert p["ssl.keystore.location"] == str(TLS.keystore)


def test_every_mechanism_has_its_own_jaas_entry_on_the_sasl_listener() -> None:
    p = props(secured(), tls=TLS)
    assert p["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == (
        "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
    )
    for mechanism in ("plain", "scram-sha-256", "scram-sha-512", "oauthbearer"):
        assert p[f"listener.name.sasl_ssl.{mechanism}.sasl.jaas.config"].endswith(";")
    plain = p["listener.name.sasl_ssl.plain.sasl.jaas.config"]
    assert 'user_admin="pw-admin"' in plain
    assert 'user_fleetwire-ingress="pw-ingress"' in plain
    assert p["listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class"].endswith(
        "OAuthBearerUnsecuredValidatorCallbackHandler"
    )


def test_three_secured_nodes_have_four_ports_each() -> None:
    nodes = config.plan_ports(3, config.SECURED, 29200)
    assert [(n.sasl_ssl_port, n.mtls_port, n.controller_port) for n in nodes] == [
        (29202, 29203, 29201),
        (29212, 29213, 29211),
        (29222, 29223, 29221),
    ]
    assert all(n.client_port is None for n in nodes)
    assert nodes[0].ready_port == 29202


def test_secured_mode_needs_the_tls_files() -> None:
    with pytest.raises(LauncherError, match="TLS"):
        props(secured())


# Java RFC 2253 names, most specific first, as Kafka sees a client certificate.
@pytest.mark.parametrize(
    ("dn", "principal"),
    [
        ("CN=fleetwire-ingress,O=fleetwire", "fleetwire-ingress"),
        ("CN=kafka-broker,OU=node-2,O=fleetwire", "kafka-broker"),
        ("CN=admin,OU=a\\,b,O=fleetwire", "admin"),
    ],
)
def test_the_principal_mapping_keeps_the_common_name(dn: str, principal: str) -> None:
    # One rule, then DEFAULT for any name it does not match.
    rule, fallback = config.PRINCIPAL_MAPPING_RULES.rsplit(",", 1)
    assert fallback == "DEFAULT"
    pattern, replacement = re.fullmatch(r"RULE:(.*)/(.*)/", rule).groups()  # type: ignore[union-attr]
    assert re.sub(pattern, replacement.replace("$1", r"\1"), dn) == principal


def test_extra_config_adds_and_overrides_on_every_node() -> None:
    extra = config.parse_extra_config("replica.lag.time.max.ms=5000, min.insync.replicas=1,")
    layout = ClusterLayout(nodes=config.plan_ports(3, config.PLAINTEXT, 29092), extra=extra)
    for node_id in (1, 2, 3):
        p = props(layout, node_id)
        assert p["replica.lag.time.max.ms"] == "5000"
        assert p["min.insync.replicas"] == "1"


@pytest.mark.parametrize("text", ["novalue", "=5", "a=1,b"])
def test_malformed_extra_config_names_the_item(text: str) -> None:
    with pytest.raises(LauncherError, match="KAFKA_EXTRA_CONFIG"):
        config.parse_extra_config(text)


keys = st.from_regex(r"[a-z][a-z.]{0,20}", fullmatch=True)
values = st.from_regex(r"[A-Za-z0-9._:/-]{0,20}", fullmatch=True)


@given(st.dictionaries(keys, values, max_size=6))
def test_extra_config_parses_what_it_is_written_as(extra: dict[str, str]) -> None:
    text = ",".join(f"{k}={v}" for k, v in extra.items())
    assert config.parse_extra_config(text) == extra


@given(st.text(max_size=40).filter(lambda v: not v[:1].isspace()))
def test_rendered_values_read_back_as_written(value: str) -> None:
    rendered = config.render_properties({"k": value})
    assert rendered.count("\n") == 1
    assert "\r" not in rendered
    # java.util.Properties reads \\, \n and \r back as the characters they stand for.
    escapes = {"n": "\n", "r": "\r", "\\": "\\"}
    assert re.sub(r"\\(.)", lambda m: escapes[m[1]], rendered[2:-1]) == value


def test_ports_must_not_overlap() -> None:
    with pytest.raises(LauncherError, match="overlap"):
        config.plan_ports(3, config.PLAINTEXT, 29092, controller_port=29102)


def test_free_ports_are_taken_in_order() -> None:
    nodes = config.ports_from(3, config.SECURED, list(range(30000, 30009)))
    assert nodes[1] == NodePorts(2, None, 30004, sasl_ssl_port=30003, mtls_port=30005)


@pytest.mark.parametrize("brokers", [0, 2, 6])
def test_unsupported_cluster_sizes_say_what_is(brokers: int) -> None:
    with pytest.raises(LauncherError, match="use 1, or 3 to 5"):
        config.validate_brokers(brokers)


def test_scram_users_are_created_for_both_mechanisms() -> None:
    args = config.scram_arguments({"admin": "pw"})
    assert args == [
        "--add-scram",
        "SCRAM-SHA-256=[name=admin,password=pw]",
        "--add-scram",
        "SCRAM-SHA-512=[name=admin,password=pw]",
    ]
