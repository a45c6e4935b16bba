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
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiokafka.conn import create_conn, get_ip_port_afi
from aiokafka.errors import (
    IllegalSaslStateError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
    for_code,
)
from aiokafka.protocol.admin import SaslAuthenticateRequest, SaslHandShakeRequest
from aiokafka.protocol.metadata import MetadataRequest

from fleetwire.clients import client_options
from fleetwire.connection import KafkaConnection
from fleetwire.errors import ConfigError, KafkaUnavailable
from fleetwire.tokens import TokenError, jwt_claims

DIAGNOSIS_TIMEOUT_S = 5.0
START_TIMEOUT_S = 60.0

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
    del options["bootstrap_servers"]
    failures = []
    for server in connection.bootstrap_servers.split(","):
        failure = await _attempt(connection, server.strip(), options, timeout)
        if failure is None:
            return None
        failures.append(failure)
    # A refusal says more than a server that did not answer.
    return min(failures, key=lambda f: not f.refused) if failures else None


async def _attempt(
    connection: KafkaConnection, server: str, options: dict[str, Any], timeout: float
) -> Failure | None:
    host, port, _ = get_ip_port_afi(server)
    oauth = options.get("sasl_mechanism") == "OAUTHBEARER"
    if oauth:
        # aiokafka takes the broker's refusal of a token (an error challenge) for success
        # and is only disconnected at its next request: the exchange is done here instead.
        options = {
            **{k: v for k, v in options.items() if not k.startswith("sasl_")},
            "security_protocol": "SSL" if connection.security.protocol.tls else "PLAINTEXT",
        }
    token = None
    try:
        if oauth:
            # Before the connection's deadline: the endpoint has its own timeout.
            token = await client_options(connection)["sasl_oauth_token_provider"].token()
        async with asyncio.timeout(timeout):
            conn = await create_conn(
                host,
                port,
                client_id="fleetwire-diagnosis",
                request_timeout_ms=int(timeout * 1000),
                **options,
            )
            try:
                if token is not None:
                    await _bearer_exchange(conn, token)
                # Authenticated; the broker must also answer a request.
                await conn.send(MetadataRequest([]))
            finally:
                conn.close()
    except Exception as exc:  # every way a connection fails is classified below
        return classify(connection, server, exc)
    return None


async def _bearer_exchange(conn: Any, token: str) -> None:
    """RFC 7628 as Kafka speaks it; raises SaslAuthenticationFailed with the broker's status."""
    handshake = await conn.send(SaslHandShakeRequest("OAUTHBEARER"))
    if handshake.error_code or "OAUTHBEARER" not in handshake.enabled_mechanisms:
        raise UnsupportedSaslMechanismError(
            f"enabled mechanisms are {', '.join(handshake.enabled_mechanisms)}"
        )
    answer = await conn.send(
        SaslAuthenticateRequest(f"n,,\x01auth=Bearer {token}\x01\x01".encode())
    )
    if answer.error_code:
        raise for_code(answer.error_code)(answer.error_message)
    if answer.sasl_auth_bytes:
        # An error challenge, such as {"status":"invalid_token"}: never the token itself.
        status = bytes(answer.sasl_auth_bytes).decode(errors="replace")[:200]
        raise SaslAuthenticationFailed(f"the broker refused the token: {status}{_expiry(token)}")


def _expiry(token: str) -> str:
    expires = jwt_claims(token).get("exp")
    if not isinstance(expires, int | float) or expires > time.time():
        return ""
    return f"; it expired at {datetime.fromtimestamp(expires, UTC):%Y-%m-%dT%H:%M:%SZ}"


def classify(connection: KafkaConnection, server: str, exc: BaseException) -> Failure:
    cause, check = _cause(connection, exc)
    return Failure(cause, server, _detail(exc), check)


def _cause(connection: KafkaConnection, exc: BaseException) -> tuple[Cause, str]:
    if isinstance(exc, ssl.SSLError):
        return _tls_cause(exc)
    credentials = connection.security.credential_variables()
    refusals: tuple[tuple[tuple[type[BaseException], ...], Cause, str], ...] = (
        ((TokenError,), Cause.TOKEN, "the KAFKA_SASL_OAUTHBEARER_* settings named before"),
        ((SaslAuthenticationFailed, IllegalSaslStateError), Cause.AUTHENTICATION, credentials),
        (
            (UnsupportedSaslMechanismError,),
            Cause.MECHANISM,
            "KAFKA_SASL_MECHANISM against the mechanisms your cluster enables",
        ),
    )
    for kinds, cause, check in refusals:
        if isinstance(exc, kinds):
            return cause, check
    return _closed_cause(connection, exc)


def _closed_cause(connection: KafkaConnection, exc: BaseException) -> tuple[Cause, str]:
    closed = isinstance(exc, ConnectionResetError | asyncio.IncompleteReadError | KafkaError)
    if closed and connection.security.certificate_location is not None:
        # With TLS 1.3 a broker that refuses our certificate just closes the connection
        # once the handshake is done: the client sees no alert.
        return Cause.CLIENT_CERTIFICATE, (
            "KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION (the broker closed "
            "the connection after the TLS handshake: is the certificate signed by a CA it "
            "trusts? does the listener expect SASL?)"
        )
    if closed:
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


async def start_client(
    client: Any, connection: KafkaConnection, timeout: float = START_TIMEOUT_S
) -> None:
    """Start a client; if Kafka will not have it, raise KafkaUnavailable saying why.

    Kafka is asked first: a client whose login is refused can wait for ever in start()
    (an expired token is answered with empty metadata rather than an error).
    """
    failure = await diagnose(connection)
    if failure is None or not failure.refused:
        try:
            await asyncio.wait_for(client.start(), timeout)
            return
        except (KafkaError, TimeoutError) as exc:
            failure = await diagnose(connection) or classify(
                connection, connection.bootstrap_servers, exc
            )
    close = getattr(client, "stop", None) or client.close
    await close()
    raise KafkaUnavailable(failure.line())


def _detail(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"{name}: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{name}: {exc.reason}"
    text = str(exc).strip()
    # aiokafka's errors put their own name, or their code, in front of the message.
    for lead in (f"{name}: ", f"[Error {getattr(exc, 'errno', '')}] {name}: "):
        text = text.removeprefix(lead)
    return f"{name}: {text}" if text and text != name else name
