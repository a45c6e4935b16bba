"""Client options per protocol and mechanism, and the diagnosis of TLS failures."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)

from fleetwire.clients import client_options
from fleetwire.connection import KafkaConnection, KafkaSecurity
from fleetwire.diagnosis import Cause, classify, diagnose
from fleetwire.tokens import TokenError
from localkafka.ports import free_port
from tests.support.certs import Pair, issue, make_ca

PASSWORD = "pw-Very-Secret-4"


def security(**env: str) -> KafkaSecurity:
    return KafkaSecurity.from_env(env)


def options(**env: str) -> dict[str, object]:
    return client_options(KafkaConnection("127.0.0.1:9", security(**env)))


def test_plain_text_options_are_only_the_address() -> None:
    assert options() == {"bootstrap_servers": "127.0.0.1:9", "security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_password_mechanisms(protocol: str, mechanism: str) -> None:
    built = options(
        KAFKA_SECURITY_PROTOCOL=protocol,
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME="fleetwire-ingress",
        KAFKA_SASL_PASSWORD=PASSWORD,
    )
    assert built["security_protocol"] == protocol
    assert built["sasl_mechanism"] == mechanism
    assert built["sasl_plain_username"] == "fleetwire-ingress"
    assert built["sasl_plain_password"] == PASSWORD
    assert ("ssl_context" in built) == (protocol == "SASL_SSL")
    assert "sasl_oauth_token_provider" not in built


def test_oauthbearer_clients_share_one_token_provider(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("x.y.z")
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
        "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
        "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": str(token),
    }
    first, second = options(**env), options(**env)
    assert first["sasl_mechanism"] == "OAUTHBEARER"
    assert first["sasl_oauth_token_provider"] is second["sasl_oauth_token_provider"]
    assert "sasl_plain_password" not in first


def test_each_client_gets_a_fresh_tls_context_and_password(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    connection = KafkaConnection(
        "127.0.0.1:9",
        security(
            KAFKA_SECURITY_PROTOCOL="SASL_SSL",
            KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
            KAFKA_SASL_USERNAME="u",
            KAFKA_SASL_PASSWORD_FILE=str(password),
        ),
    )
    first = client_options(connection)
    password.write_text("rotated")
    second = client_options(connection)
    assert first["ssl_context"] is not second["ssl_context"]
    assert (first["sasl_plain_password"], second["sasl_plain_password"]) == (PASSWORD, "rotated")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca(directory, "ca")
    other = make_ca(directory, "other-ca")
    return {
        "ca": ca,
        "other": other,
        "server": issue(ca, directory, "broker", "IP:127.0.0.1"),
        "client": issue(ca, directory, "client", "DNS:client"),
        "stranger": issue(other, directory, "stranger", "DNS:stranger"),
    }


@pytest.fixture
async def tls_port(pki: dict[str, Pair]) -> AsyncIterator[int]:
    """A TLS listener with the broker's certificate that requires a client certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["server"].cert, pki["server"].key)
    context.load_verify_locations(pki["ca"].cert)
    context.verify_mode = ssl.CERT_REQUIRED

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    yield int(server.sockets[0].getsockname()[1])
    server.close()


def tls_connection(
    server: str, ca: Pair, client: Pair | None = None, **env: str
) -> KafkaConnection:
    env = {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_LOCATION": str(ca.cert), **env}
    if client is not None:
        env["KAFKA_SSL_CERTIFICATE_LOCATION"] = str(client.cert)
        env["KAFKA_SSL_KEY_LOCATION"] = str(client.key)
    return KafkaConnection(server, KafkaSecurity.from_env(env))


async def test_a_broker_signed_by_another_ca_is_not_trusted(
    pki: dict[str, Pair], tls_port: int
) -> None:
    failure = await diagnose(tls_connection(f"127.0.0.1:{tls_port}", pki["other"], pki["client"]))
    assert failure is not None
    assert failure.cause is Cause.UNTRUSTED
    assert failure.line().startswith(f"kafka 127.0.0.1:{tls_port}: certificate not trusted (")
    assert "check KAFKA_SSL_CA_LOCATION" in failure.line()


async def test_a_name_the_certificate_lacks_is_a_host_name_mismatch(
    pki: dict[str, Pair], tls_port: int
) -> None:
    failure = await diagnose(tls_connection(f"localhost:{tls_port}", pki["ca"], pki["client"]))
    assert failure is not None
    assert failure.cause is Cause.HOST_NAME
    assert "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none" in failure.line()


async def test_without_the_host_name_check_the_name_is_accepted(
    pki: dict[str, Pair], tls_port: int
) -> None:
    connection = tls_connection(
        f"localhost:{tls_port}",
        pki["ca"],
        pki["client"],
        KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM="none",
    )
    failure = await diagnose(connection)
    # The handshake passes; this listener then hangs up, as no Kafka broker would.
    assert failure is not None
    assert failure.cause not in (Cause.HOST_NAME, Cause.UNTRUSTED)


async def test_a_client_certificate_the_broker_does_not_trust(
    pki: dict[str, Pair], tls_port: int
) -> None:
    failure = await diagnose(tls_connection(f"127.0.0.1:{tls_port}", pki["ca"], pki["stranger"]))
    assert failure is not None
    assert failure.cause is Cause.CLIENT_CERTIFICATE
    assert failure.refused
    assert "check KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION" in failure.line()


async def test_nothing_listening_is_broker_unreachable() -> None:
    port = free_port()
    failure = await diagnose(KafkaConnection(f"127.0.0.1:{port}"))
    assert failure is not None
    assert failure.cause is Cause.UNREACHABLE
    assert not failure.refused
    assert "check KAFKA_BOOTSTRAP_SERVERS" in failure.line()


async def test_a_refusal_is_reported_before_a_server_that_is_down(
    pki: dict[str, Pair], tls_port: int
) -> None:
    servers = f"127.0.0.1:{free_port()},127.0.0.1:{tls_port}"
    failure = await diagnose(tls_connection(servers, pki["other"]))
    assert failure is not None
    assert failure.cause is Cause.UNTRUSTED


SCRAM = KafkaConnection(
    "b:9093",
    KafkaSecurity.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "fleetwire-ingress",
            "KAFKA_SASL_PASSWORD_FILE": "/etc/hostname",
        }
    ),
)


@pytest.mark.parametrize(
    ("error", "cause", "check"),
    [
        (
            SaslAuthenticationFailed("Authentication failed during authentication"),
            Cause.AUTHENTICATION,
            "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE",
        ),
        (UnsupportedSaslMechanismError("no"), Cause.MECHANISM, "check KAFKA_SASL_MECHANISM"),
        (TokenError("endpoint down"), Cause.TOKEN, "check the KAFKA_SASL_OAUTHBEARER_*"),
        (KafkaConnectionError("closed"), Cause.UNREACHABLE, "KAFKA_SECURITY_PROTOCOL"),
        (ConnectionRefusedError(111, "refused"), Cause.UNREACHABLE, "the broker is running"),
        (TimeoutError(), Cause.UNREACHABLE, "KAFKA_BOOTSTRAP_SERVERS"),
    ],
)
def test_classification(error: BaseException, cause: Cause, check: str) -> None:
    failure = classify(SCRAM, "b:9093", error)
    assert failure.cause is cause
    assert check in failure.line()
    assert failure.line().startswith(f"kafka b:9093: {cause} (")


def test_an_oauthbearer_refusal_points_at_the_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("x.y.z")
    connection = KafkaConnection(
        "b:9093",
        KafkaSecurity.from_env(
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
                "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
                "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": str(token),
            }
        ),
    )
    line = classify(connection, "b:9093", SaslAuthenticationFailed("invalid_token")).line()
    assert "check the token in KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (expired?" in line


def test_a_line_never_holds_the_password(tmp_path: Path) -> None:
    connection = KafkaConnection(
        "b:9093",
        KafkaSecurity.from_env(
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "PLAIN",
                "KAFKA_SASL_USERNAME": "u",
                "KAFKA_SASL_PASSWORD": PASSWORD,
            }
        ),
    )
    for error in (SaslAuthenticationFailed("bad"), KafkaConnectionError("x"), OSError("y")):
        assert PASSWORD not in classify(connection, "b:9093", error).line()
