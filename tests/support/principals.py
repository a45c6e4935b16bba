"""Running as one principal of a secured broker: process environments and test clients.

The broker is the secured local one (localkafka, `security="secured"`); its cluster.json
names the listeners, the CA, every SCRAM user's password and the client certificates.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
)
from aiokafka.helpers import create_ssl_context

log = logging.getLogger(__name__)
MECHANISM = "SCRAM-SHA-512"
# What a refused operation looks like to aiokafka. Without DESCRIBE on a topic the
# principal cannot even learn that it exists: then the topic is "unknown" or the
# client times out waiting for its metadata, rather than an authorization error.
REFUSALS: tuple[type[BaseException], ...] = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
    KafkaTimeoutError,
    TimeoutError,
)
SECURITY_VARIABLES = ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_", "KAFKA_SSL_")


@dataclass(frozen=True)
class Secured:
    """The `secured` part of a secured broker's cluster.json."""

    sasl_ssl_bootstrap: str
    mtls_bootstrap: str
    ca_file: str
    users: Mapping[str, str]  # name -> password
    client_certs: Mapping[str, Mapping[str, str]]  # name -> {"cert", "key"}
    admin_properties: str

    @classmethod
    def from_cluster(cls, description: Mapping[str, Any]) -> Secured:
        secured = description["secured"]
        return cls(
            sasl_ssl_bootstrap=secured["sasl_ssl_bootstrap"],
            mtls_bootstrap=secured["mtls_bootstrap"],
            ca_file=secured["ca_file"],
            users=dict(secured["users"]),
            client_certs={k: dict(v) for k, v in secured.get("client_certs", {}).items()},
            admin_properties=secured["admin_properties"],
        )

    def sasl_env(self, user: str, password_file: Path | None = None) -> dict[str, str]:
        """The environment of a fleetwire process that logs in as `user` with SCRAM.

        With `password_file` the password is written there and passed by
        KAFKA_SASL_PASSWORD_FILE, as a mounted Kubernetes Secret would be.
        """
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.sasl_ssl_bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": MECHANISM,
            "KAFKA_SASL_USERNAME": user,
            "KAFKA_SSL_CA_LOCATION": self.ca_file,
        }
        if password_file is None:
            env["KAFKA_SASL_PASSWORD"] = self.users[user]
        else:
            password_file.write_text(self.users[user] + "\n")
            password_file.chmod(0o600)
            env["KAFKA_SASL_PASSWORD_FILE"] = str(password_file)
        return env

    def mtls_env(self, name: str) -> dict[str, str]:
        """The environment of a fleetwire process that presents `name`'s client certificate."""
        cert = self.client_certs[name]
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.mtls_bootstrap,
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CA_LOCATION": self.ca_file,
            "KAFKA_SSL_CERTIFICATE_LOCATION": cert["cert"],
            "KAFKA_SSL_KEY_LOCATION": cert["key"],
        }

    def client_options(self, user: str) -> dict[str, Any]:
        """aiokafka options of a test client that logs in as `user` (admin: the super-user)."""
        return {
            "bootstrap_servers": self.sasl_ssl_bootstrap,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": MECHANISM,
            "sasl_plain_username": user,
            "sasl_plain_password": self.users[user],
            "ssl_context": create_ssl_context(cafile=self.ca_file),
        }


def without_security(env: Mapping[str, str]) -> dict[str, str]:
    """`env` minus any Kafka security setting, so each process gets only the ones given."""
    return {k: v for k, v in env.items() if not k.startswith(SECURITY_VARIABLES)}


def inherited() -> dict[str, str]:
    return without_security(os.environ)


async def refused(what: str, operation: Callable[[], Awaitable[Any]], timeout: float = 15) -> str:
    """Run `operation`; return how it was refused. Fails the test if it succeeded.

    Callers must also check that the operation had no effect: an absent topic is a
    refusal only because the principal may not see it.
    """
    try:
        result = await asyncio.wait_for(operation(), timeout)
    except REFUSALS as exc:
        log.info("refused (%s): %s", type(exc).__name__, what)
        return type(exc).__name__
    raise AssertionError(f"{what}: allowed, returning {result!r}")
