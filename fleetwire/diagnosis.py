"""Why Kafka will not have us: one connection attempt whose error is classified.

aiokafka reports a refused login or a certificate that does not verify as "Unable to
bootstrap" (KafkaConnectionError), the same as a broker that is down, and fleetwire keeps
aiokafka's own logging quiet. A person needs to know which it is: `diagnose` opens one
connection to each bootstrap server itself, authenticates as every client would, and
names the cause and the variables to check. The result never holds a secret: broker and
TLS errors do not carry the credentials.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiokafka.conn import create_conn, get_ip_port_afi
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

from fleetwire.clients import client_options
from fleetwire.connection import KafkaConnection
from fleetwire.errors import ConfigError, KafkaUnavailable
from fleetwire.tokens import TokenError

DIAGNOSIS_TIMEOUT_S = 5.0

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
NAME_MISMATCH_CODES = frozenset({62, 64})


class Cause(StrEnum):
    AUTHENTICATION = "authentication refused by the broker"
    MECHANISM = "SASL mechanism not enabled on the broker"
    TOKEN = "no OAUTHBEARER token"  # noqa: S105 - a description, not a credential
    UNTRUSTED = "certificate not trusted"
    HOST_NAME = "host name mismatch"
    CLIENT_CERTIFICATE = "client certificate refused by the broker"
    TLS = "TLS handshake failed"
    CONFIGURATION = "connection settings unusable"
    UNREACHABLE = "broker unreachable"


@dataclass(frozen=True)
class Failure:
    cause: Cause
    server: str
    detail: str
    check: str

    def line(self) -> str:
        """The one line a person reads in the log and in /readyz."""
        return f"kafka {self.server}: {self.cause} ({self.detail}); check {self.check}"

    @property
    def refused(self) -> bool:
        """True if the broker answered and refused: retrying the same settings is futile."""
        return self.cause is not Cause.UNREACHABLE


async def diagnose(
    connection: KafkaConnection, timeout: float = DIAGNOSIS_TIMEOUT_S
) -> Failure | None:
    """None if a bootstrap server accepts us now; else why not (the most telling cause)."""
    try:
        options = client_options(connection)
    except ConfigError as exc:
        return Failure(
            Cause.CONFIGURATION, connection.bootstrap_servers, str(exc), "the variable named"
        )
    options.pop("bootstrap_servers")
    failures = []
    for server in connection.bootstrap_servers.split(","):
        failure = await _attempt(connection, server.strip(), options, timeout)
        if failure is None:
            return None
        failures.append(failure)
    # A refusal says more than a server that did not answer.
    return min(failures, key=lambda f: not f.refused) if failures else None


async def _attempt(
    connection: KafkaConnection, server: str, options: dict[str, object], timeout: float
) -> Failure | None:
    host, port, _ = get_ip_port_afi(server)
    try:
        conn = await asyncio.wait_for(
            create_conn(
                host,
                port,
                client_id="fleetwire-diagnosis",
                request_timeout_ms=int(timeout * 1000),
                **options,
            ),
            timeout,
        )
    except Exception as exc:  # every way a connection fails is classified below
        return classify(connection, server, exc)
    conn.close()
    return None


def classify(connection: KafkaConnection, server: str, exc: BaseException) -> Failure:
    cause, check = _cause(connection, exc)
    return Failure(cause, server, _detail(exc), check)


def _cause(connection: KafkaConnection, exc: BaseException) -> tuple[Cause, str]:
    if isinstance(exc, ssl.SSLError):
        return _tls_cause(exc)
    if isinstance(exc, TokenError):
        return Cause.TOKEN, connection.security.credential_variables()
    if isinstance(exc, SaslAuthenticationFailed | IllegalSaslStateError):
        return Cause.AUTHENTICATION, connection.security.credential_variables()
    if isinstance(exc, UnsupportedSaslMechanismError):
        return Cause.MECHANISM, "KAFKA_SASL_MECHANISM against the mechanisms your cluster enables"
    if isinstance(exc, ConnectionResetError | asyncio.IncompleteReadError | KafkaError):
        # A TLS broker drops a client that speaks plain text, and one that requires a
        # client certificate drops a client without it, often with no TLS alert at all.
        return Cause.UNREACHABLE, (
            "KAFKA_BOOTSTRAP_SERVERS and KAFKA_SECURITY_PROTOCOL (does this listener expect "
            "TLS, SASL or a client certificate?)"
        )
    return Cause.UNREACHABLE, (
        "KAFKA_BOOTSTRAP_SERVERS and that the broker is running and reachable from here"
    )


def _tls_cause(exc: ssl.SSLError) -> tuple[Cause, str]:
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in NAME_MISMATCH_CODES:
            return Cause.HOST_NAME, (
                "that KAFKA_BOOTSTRAP_SERVERS uses a name in the broker's certificate; "
                "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none turns the check off "
                "(never in production)"
            )
        return Cause.UNTRUSTED, (
            "KAFKA_SSL_CA_LOCATION (the PEM file of the CA that signs the broker's "
            "certificate; unset, the system's CAs are used)"
        )
    if "ALERT" in str(exc.reason or "").upper():
        return Cause.CLIENT_CERTIFICATE, (
            "KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION (a certificate "
            "signed by a CA the broker trusts)"
        )
    return Cause.TLS, "that the port is a TLS listener, and KAFKA_SSL_*"


async def start_client(client: Any, connection: KafkaConnection) -> None:
    """Start a client; if Kafka will not have it, raise KafkaUnavailable saying why."""
    try:
        await client.start()
    except KafkaError as exc:
        close = getattr(client, "stop", None) or client.close
        await close()
        failure = await diagnose(connection)
        if failure is None:
            raise KafkaUnavailable(
                f"kafka {connection.describe()}: {type(exc).__name__}: {exc}"
            ) from None
        raise KafkaUnavailable(failure.line()) from None


def _detail(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"{type(exc).__name__}: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{type(exc).__name__}: {exc.reason}"
    text = str(exc).strip()
    if isinstance(exc, KafkaError) and text.startswith("[Error"):
        text = text.split(":", 1)[-1].strip() if ":" in text else text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
