"""Against the secured broker: every accepted login is accepted, every refusal is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetwire.diagnosis import Cause, diagnose, start_client
from fleetwire.errors import KafkaUnavailable
from fleetwire.topics import TopicAdmin, TopicError
from tests.support.secured import SecuredCluster, connection_of, unsigned_token


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_password_logins_are_accepted(secured_kafka: SecuredCluster, mechanism: str) -> None:
    env = {**secured_kafka.scram_env("fleetwire-ingress"), "KAFKA_SASL_MECHANISM": mechanism}
    assert await diagnose(connection_of(env)) is None


async def test_a_token_login_is_accepted(secured_kafka: SecuredCluster, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(unsigned_token("fleetwire-ingress", 300))
    assert await diagnose(connection_of(secured_kafka.token_env(token))) is None


async def test_a_client_certificate_login_is_accepted(secured_kafka: SecuredCluster) -> None:
    env = secured_kafka.mtls_env(*secured_kafka.client_cert("fleetwire-ingress"))
    assert await diagnose(connection_of(env)) is None


def refused(secured: SecuredCluster, tmp_path: Path, case: str) -> dict[str, str]:
    """The settings of each refusal the broker can give."""
    scram = secured.scram_env("fleetwire-ingress")
    token = tmp_path / "token"
    token.write_text(unsigned_token("fleetwire-ingress", -60))
    return {
        "wrong password": {**scram, "KAFKA_SASL_PASSWORD": "not-the-password"},
        "unknown user": {**scram, "KAFKA_SASL_USERNAME": "fleetwire-nobody"},
        "expired token": secured.token_env(token),
        "untrusted CA": {**scram, "KAFKA_SSL_CA_LOCATION": secured.untrusted_ca_file},
        "host name mismatch": {**scram, "KAFKA_BOOTSTRAP_SERVERS": secured.mismatched_bootstrap},
        "untrusted client certificate": secured.mtls_env(*secured.untrusted_client_cert()),
    }[case]


EXPECTED = {
    "wrong password": (
        Cause.AUTHENTICATION,
        "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD "
        "(and KAFKA_SASL_MECHANISM=SCRAM-SHA-512)",
    ),
    "unknown user": (Cause.AUTHENTICATION, "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
    "expired token": (
        Cause.AUTHENTICATION,
        "check the token in KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (expired? its subject known?)",
    ),
    "untrusted CA": (Cause.UNTRUSTED, "check KAFKA_SSL_CA_LOCATION"),
    "host name mismatch": (Cause.HOST_NAME, "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none"),
    "untrusted client certificate": (
        Cause.CLIENT_CERTIFICATE,
        "check KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION",
    ),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
async def test_each_refusal_is_named_with_what_to_check(
    secured_kafka: SecuredCluster, tmp_path: Path, case: str
) -> None:
    env = refused(secured_kafka, tmp_path, case)
    failure = await diagnose(connection_of(env))
    assert failure is not None
    cause, check = EXPECTED[case]
    print(f"\n[{case}] {failure.line()}")
    assert failure.cause is cause
    assert failure.refused
    assert check in failure.line()
    assert "not-the-password" not in failure.line()
    if case == "expired token":
        assert '{"status":"invalid_token"}; it expired at' in failure.line()


async def test_a_refused_command_says_why_instead_of_unable_to_bootstrap(
    secured_kafka: SecuredCluster, tmp_path: Path
) -> None:
    connection = connection_of(refused(secured_kafka, tmp_path, "wrong password"))
    with pytest.raises(TopicError) as raised:
        async with TopicAdmin(connection):
            pass
    assert "authentication refused by the broker" in str(raised.value)
    from fleetwire.clients import consumer

    with pytest.raises(KafkaUnavailable, match="authentication refused by the broker"):
        await start_client(consumer(connection), connection)
