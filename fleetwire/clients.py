"""The one place that turns connection settings into Kafka client options.

Every producer, consumer and admin client of every process and command is built from a
`KafkaConnection` here (durable producers in fleetwire.kafka), so all of them speak the
same protocol with the same credentials. Options are built anew for each client: a
password file or client certificate that was rotated since is read again.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from fleetwire.connection import KafkaConnection, OAuthSettings
from fleetwire.tokens import token_provider

# One provider per OAuth setting in a process: every client shares its cached token.
_providers: dict[OAuthSettings, Any] = {}


def client_options(connection: KafkaConnection) -> dict[str, Any]:
    """The keyword arguments every aiokafka client takes for where and how to connect."""
    security = connection.security
    options: dict[str, Any] = {
        "bootstrap_servers": connection.bootstrap_servers,
        "security_protocol": str(security.protocol),
    }
    context = security.ssl_context()
    if context is not None:
        options["ssl_context"] = context
    if security.mechanism is not None:
        options["sasl_mechanism"] = str(security.mechanism)
    if security.password is not None:
        options["sasl_plain_username"] = security.username
        options["sasl_plain_password"] = security.password.read().value
    if security.oauth is not None:
        provider = _providers.get(security.oauth)
        if provider is None:
            provider = _providers[security.oauth] = token_provider(security.oauth)
        options["sasl_oauth_token_provider"] = provider
    return options


def consumer(connection: KafkaConnection, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **client_options(connection), **options)


def admin_client(connection: KafkaConnection, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**client_options(connection), **options)
