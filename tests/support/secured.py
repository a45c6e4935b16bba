"""A secured local cluster (SASL_SSL and mTLS listeners, StandardAuthorizer) for tests.

Started once per session with localkafka in secured mode. KAFKA_SECURED_BASE_PORT fixes
its ports (the cluster takes base .. base + 3); KAFKA_SECURED_STATE_DIR reuses a cluster
that is already running there, which is then left running.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fleetwire.connection import KafkaConnection, KafkaSecurity

SECURITY_PREFIXES = ("KAFKA_SECURITY_", "KAFKA_SASL_", "KAFKA_SSL_")
SCRAM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class SecuredCluster:
    """The `secured` part of the cluster's descriptor (cluster.json)."""

    described: Mapping[str, Any]

    @property
    def bootstrap(self) -> str:
        return str(self.described["sasl_ssl_bootstrap"])

    @property
    def mtls_bootstrap(self) -> str:
        return str(self.described["mtls_bootstrap"])

    @property
    def mismatched_bootstrap(self) -> str:
        return str(self.described["hostname_mismatch_bootstrap"])

    @property
    def ca_file(self) -> str:
        return str(self.described["ca_file"])

    @property
    def untrusted_ca_file(self) -> str:
        return str(self.described["untrusted_ca_file"])

    def password(self, user: str) -> str:
        return str(self.described["users"][user])

    def client_cert(self, user: str) -> tuple[str, str]:
        pair = self.described["client_certs"][user]
        return str(pair["cert"]), str(pair["key"])

    def untrusted_client_cert(self) -> tuple[str, str]:
        pair = self.described["untrusted_client_cert"]
        return str(pair["cert"]), str(pair["key"])

    def scram_env(self, user: str = "admin", password_file: Path | None = None) -> dict[str, str]:
        """KAFKA_* settings for `user` over SASL_SSL with SCRAM-SHA-512."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": SCRAM,
            "KAFKA_SASL_USERNAME": user,
            "KAFKA_SSL_CA_LOCATION": self.ca_file,
        }
        if password_file is None:
            env["KAFKA_SASL_PASSWORD"] = self.password(user)
        else:
            env["KAFKA_SASL_PASSWORD_FILE"] = str(password_file)
        return env

    def token_env(self, token_file: Path) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
            "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": str(token_file),
            "KAFKA_SSL_CA_LOCATION": self.ca_file,
        }

    def mtls_env(self, cert: str, key: str) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.mtls_bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CA_LOCATION": self.ca_file,
            "KAFKA_SSL_CERTIFICATE_LOCATION": cert,
            "KAFKA_SSL_KEY_LOCATION": key,
        }

    def admin(self) -> KafkaConnection:
        return connection_of(self.scram_env())


def connection_of(env: Mapping[str, str]) -> KafkaConnection:
    return KafkaConnection(env["KAFKA_BOOTSTRAP_SERVERS"], KafkaSecurity.from_env(env))


def without_security(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without any KAFKA_* security setting (the caller's own must not mix in)."""
    return {k: v for k, v in env.items() if not k.startswith(SECURITY_PREFIXES)}


def unsigned_token(sub: str, lifetime_s: float, now: float | None = None) -> str:
    """A JWT as the broker's unsecured validator takes it: `alg: none`, no signature."""

    def part(data: Mapping[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    issued = time.time() if now is None else now
    claims = {"sub": sub, "iat": int(issued) - 60, "exp": int(issued + lifetime_s)}
    return f"{part({'alg': 'none'})}.{part(claims)}."


def secured_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredCluster]:
    from localkafka import Cluster, LauncherError
    from localkafka.settings import Settings

    given = os.environ.get("KAFKA_SECURED_STATE_DIR", "").strip()
    if given:
        try:
            running = Cluster.load(Path(given))
        except LauncherError:
            running = None
        if running is not None and all(node.running() for node in running.nodes):
            yield SecuredCluster(running.descriptor["secured"])
            return
    base = os.environ.get("KAFKA_SECURED_BASE_PORT", "").strip()
    cluster = Cluster.start(
        Path(given) if given else tmp_path_factory.mktemp("secured-kafka"),
        # The version the rest of the suite runs against: a secured 3.9 is proven too.
        version=Settings.from_env().version,
        security="secured",
        base_port=int(base) if base else None,
        heap="-Xms128m -Xmx384m",
    )
    try:
        yield SecuredCluster(cluster.descriptor["secured"])
    finally:
        cluster.stop()
