"""server.properties of each node, rendered from a plain description of the cluster.

Pure: no files are read or written here, so every setting is unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from localkafka.errors import LauncherError

HOST = "127.0.0.1"
PLAINTEXT = "plaintext"
SECURED = "secured"
SECURITY_MODES = (PLAINTEXT, SECURED)
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
ADMIN = "admin"
# Every broker's certificate maps to this one principal (a super-user).
BROKER_PRINCIPAL = "kafka-broker"
# CN=fleetwire-ingress,O=fleetwire -> User:fleetwire-ingress, the SCRAM user of that name.
PRINCIPAL_MAPPING_RULES = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT"
UNSECURED_VALIDATOR = (
    "org.apache.kafka.common.security.oauthbearer.internals.unsecured."
    "OAuthBearerUnsecuredValidatorCallbackHandler"
)
# Ports of node n are node 1's plus this times (n - 1) when planned from a base port.
NODE_PORT_STRIDE = 10
MAX_BROKERS = 5


@dataclass(frozen=True)
class NodePorts:
    id: int
    client_port: int | None  # PLAINTEXT listener; none in secured mode
    controller_port: int
    sasl_ssl_port: int | None = None
    mtls_port: int | None = None

    @property
    def ready_port(self) -> int:
        """The port that answers once the node serves clients."""
        port = self.client_port if self.client_port is not None else self.sasl_ssl_port
        assert port is not None, "a node has a client or a SASL_SSL listener"
        return port


@dataclass(frozen=True)
class TlsFiles:
    keystore: Path  # PEM: this node's unencrypted key, its certificate and the CA
    truststore: Path  # PEM: the CA


@dataclass(frozen=True)
class ClusterLayout:
    nodes: tuple[NodePorts, ...]
    security: str = PLAINTEXT
    # SASL users (name -> password) for the PLAIN listener JAAS; secured mode only.
    users: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def node(self, node_id: int) -> NodePorts:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise LauncherError(f"no node {node_id} in this cluster")

    @property
    def voters(self) -> str:
        return ",".join(f"{n.id}@{HOST}:{n.controller_port}" for n in self.nodes)


def validate_brokers(brokers: int) -> int:
    if brokers == 1 or 3 <= brokers <= MAX_BROKERS:
        return brokers
    raise LauncherError(
        f"KAFKA_BROKERS={brokers} is not supported: use 1, or 3 to {MAX_BROKERS} "
        "(replication factor 3 needs three nodes)"
    )


def validate_security(security: str) -> str:
    if security in SECURITY_MODES:
        return security
    raise LauncherError(
        f"KAFKA_SECURITY={security!r} is not supported: use {' or '.join(SECURITY_MODES)}"
    )


def plan_ports(
    brokers: int, security: str, base_port: int, controller_port: int | None = None
) -> tuple[NodePorts, ...]:
    """Node 1: client `base_port`, controller `controller_port` (base + 1), SASL_SSL base + 2,
    mTLS base + 3; node n: the same plus 10 * (n - 1)."""
    controller = base_port + 1 if controller_port is None else controller_port
    secured = security == SECURED
    nodes = []
    for index in range(brokers):
        shift = NODE_PORT_STRIDE * index
        nodes.append(
            NodePorts(
                id=index + 1,
                client_port=None if secured else base_port + shift,
                controller_port=controller + shift,
                sasl_ssl_port=base_port + 2 + shift if secured else None,
                mtls_port=base_port + 3 + shift if secured else None,
            )
        )
    ports = [p for n in nodes for p in _ports(n)]
    if len(set(ports)) != len(ports) or not all(0 < p < 65536 for p in ports):
        raise LauncherError(f"the ports planned from {base_port} overlap or are out of range")
    return tuple(nodes)


def ports_from(brokers: int, security: str, free: Sequence[int]) -> tuple[NodePorts, ...]:
    """Nodes on the given free ports, taken in order (two per node, four when secured)."""
    secured = security == SECURED
    per_node = 3 if secured else 2
    if len(free) < per_node * brokers:
        raise LauncherError("not enough ports")
    nodes = []
    for index in range(brokers):
        a, b, *rest = free[per_node * index : per_node * (index + 1)]
        nodes.append(
            NodePorts(
                id=index + 1,
                client_port=None if secured else a,
                controller_port=b,
                sasl_ssl_port=a if secured else None,
                mtls_port=rest[0] if secured else None,
            )
        )
    return tuple(nodes)


def _ports(node: NodePorts) -> list[int]:
    candidates = (node.client_port, node.controller_port, node.sasl_ssl_port, node.mtls_port)
    return [p for p in candidates if p is not None]


def parse_extra_config(text: str) -> dict[str, str]:
    """KAFKA_EXTRA_CONFIG: "key=value,key=value" (values cannot hold commas)."""
    extra: dict[str, str] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise LauncherError(
                f"KAFKA_EXTRA_CONFIG: {item!r} is not key=value "
                "(expected e.g. replica.lag.time.max.ms=5000,broker.session.timeout.ms=6000)"
            )
        extra[key.strip()] = value.strip()
    return extra


def node_properties(
    layout: ClusterLayout, node_id: int, *, data_dir: Path, tls: TlsFiles | None = None
) -> dict[str, str]:
    node = layout.node(node_id)
    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(node.id),
        "controller.quorum.voters": layout.voters,
        "controller.listener.names": "CONTROLLER",
        "log.dirs": str(data_dir),
    }
    if layout.security == SECURED:
        if tls is None:
            raise LauncherError("secured mode needs the node's TLS files")
        props |= _secured_listeners(node, layout.users, tls)
    else:
        props |= _plaintext_listeners(node)
    props |= _replication(len(layout.nodes))
    props |= {
        "auto.create.topics.enable": "false",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.num.partitions": "10",
        "transaction.max.timeout.ms": "900000",
        "group.initial.rebalance.delay.ms": "0",
        # The default 128 MiB dedupe buffer does not fit comfortably in a small heap.
        "log.cleaner.dedupe.buffer.size": "8388608",
    }
    props |= layout.extra
    return props


def _plaintext_listeners(node: NodePorts) -> dict[str, str]:
    return {
        "listeners": f"PLAINTEXT://{HOST}:{node.client_port},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{node.client_port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    }


def _secured_listeners(node: NodePorts, users: Mapping[str, str], tls: TlsFiles) -> dict[str, str]:
    # No PLAINTEXT listener at all: an unauthenticated client has no port to talk to, so
    # even an ACL granted to User:* (which would match ANONYMOUS) gives it nothing.
    # Brokers and controllers talk over mTLS with their own certificates: with a plain
    # CONTROLLER listener they would reach it as ANONYMOUS and need rights for it.
    sasl, mtls = f"{HOST}:{node.sasl_ssl_port}", f"{HOST}:{node.mtls_port}"
    props = {
        "listeners": f"SASL_SSL://{sasl},MTLS://{mtls},CONTROLLER://{HOST}:{node.controller_port}",
        "advertised.listeners": f"SASL_SSL://{sasl},MTLS://{mtls}",
        "inter.broker.listener.name": "MTLS",
        "listener.security.protocol.map": "CONTROLLER:SSL,SASL_SSL:SASL_SSL,MTLS:SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(tls.keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.truststore),
        "ssl.principal.mapping.rules": PRINCIPAL_MAPPING_RULES,
        # "requested" would let a client without a certificate in as ANONYMOUS.
        "listener.name.mtls.ssl.client.auth": "required",
        "listener.name.controller.ssl.client.auth": "required",
        "listener.name.sasl_ssl.ssl.client.auth": "none",
        "sasl.enabled.mechanisms": ",".join(MECHANISMS),
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": ",".join(MECHANISMS),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN};User:{BROKER_PRINCIPAL}",
    }
    # Each SASL listener needs its own JAAS entry per mechanism.
    prefix = "listener.name.sasl_ssl"
    plain_users = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    props[f"{prefix}.plain.sasl.jaas.config"] = (
        f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};"
    )
    for mechanism in SCRAM_MECHANISMS:
        props[f"{prefix}.{mechanism.lower()}.sasl.jaas.config"] = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        )
    # Unsigned JWS tokens (alg "none"): tests mint them with any sub and exp. The
    # validator checks exp, so an expired token is refused.
    props[f"{prefix}.oauthbearer.sasl.jaas.config"] = (
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
        f'unsecuredLoginStringClaim_sub="{BROKER_PRINCIPAL}";'
    )
    props[f"{prefix}.oauthbearer.sasl.server.callback.handler.class"] = UNSECURED_VALIDATOR
    return props


def _replication(brokers: int) -> dict[str, str]:
    if brokers == 1:
        # Single node: everything replicated once.
        rf, min_isr = 1, 1
    else:
        rf, min_isr = 3, 2
    return {
        "num.partitions": "1",
        "default.replication.factor": str(rf),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(rf),
        "transaction.state.log.replication.factor": str(rf),
        "transaction.state.log.min.isr": str(min_isr),
    }


def render_properties(props: Mapping[str, str], header: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [f"{key}={_escape(value)}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    # java.util.Properties reads a backslash as an escape, and a newline ends the value.
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def scram_arguments(users: Mapping[str, str]) -> list[str]:
    """`kafka.tools.StorageTool format` arguments that create every user for both SCRAMs."""
    args = []
    for mechanism in SCRAM_MECHANISMS:
        for name, password in users.items():
            args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
    return args


def client_properties(user: str, password: str, ca_file: Path) -> dict[str, str]:
    """A Java client's config as `user` over SASL_SSL with SCRAM-SHA-512."""
    return {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{user}" password="{password}";'
        ),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(ca_file),
    }
