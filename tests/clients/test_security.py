"""The client's Kafka security settings: the contract's KAFKA_* variables, checked at start."""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fleetwire_events.security import Security, SecurityError


def test_nothing_set_is_plaintext() -> None:
    assert Security.from_env({}).aiokafka_options() == {"security_protocol": "PLAINTEXT"}


def test_scram_over_tls_with_a_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "fleet-maintenance",
        "KAFKA_SASL_PASSWORD_FILE": str(secret),
        "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "none",
    }
    options = Security.from_env(env).aiokafka_options()
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "fleet-maintenance",
        "s3cret",
    )
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED  # the certificate is still checked


def test_secrets_stay_out_of_the_repr() -> None:
    settings = Security(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password="hunter2",
    )
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SASL_MECHANISM": "PLAIN"},
            "KAFKA_SASL_MECHANISM",
        ),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI"},
            "KAFKA_SASL_MECHANISM",
        ),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM": "PLAIN",
                "KAFKA_SASL_PASSWORD": "p",
            },
            "KAFKA_SASL_USERNAME",
        ),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM": "PLAIN",
                "KAFKA_SASL_USERNAME": "u",
                "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/password",
            },
            "KAFKA_SASL_PASSWORD_FILE",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "OAUTHBEARER"},
            "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL",
        ),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
                "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
            },
            "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE",
        ),
        ({"KAFKA_SSL_CA_LOCATION": "/etc/ssl/ca.pem"}, "KAFKA_SSL_CA_LOCATION"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERTIFICATE_LOCATION": "/x.pem"},
            "KAFKA_SSL_KEY_LOCATION",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_LOCATION": "/nonexistent/ca.pem"},
            "KAFKA_SSL_CA_LOCATION",
        ),
        (
            {
                "KAFKA_SECURITY_PROTOCOL": "SSL",
                "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "off",
            },
            "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM",
        ),
    ],
)
def test_a_setting_that_does_not_fit_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SecurityError, match=f"^{variable} "):
        Security.from_env(env)


def test_an_error_never_shows_a_password() -> None:
    with pytest.raises(SecurityError) as raised:
        Security.from_env({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SASL_PASSWORD": "hunter2"})
    assert "hunter2" not in str(raised.value)


@pytest.fixture
async def token_endpoint() -> AsyncIterator[tuple[str, list[web.Request]]]:
    seen: list[web.Request] = []

    async def grant(request: web.Request) -> web.Response:
        seen.append(request)
        form = await request.post()
        assert form["grant_type"] == "client_credentials"
        return web.json_response({"access_token": f"token-{len(seen)}", "expires_in": 3600})

    app = web.Application()
    app.router.add_post("/token", grant)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/token")), seen
    finally:
        await server.close()


async def test_oidc_tokens_come_from_the_endpoint_and_are_reused_until_due(
    token_endpoint: tuple[str, list[web.Request]],
) -> None:
    url, seen = token_endpoint
    settings = Security.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": url,
            "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": "consumer",
            "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": "c:secret",
            "KAFKA_SASL_OAUTHBEARER_SCOPE": "kafka",
        }
    )
    provider = settings.aiokafka_options()["sasl_oauth_token_provider"]
    assert [await provider.token(), await provider.token()] == ["token-1", "token-1"]
    [request] = seen
    expected = base64.b64encode(b"consumer:c%3Asecret").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


async def test_a_token_file_is_read_again_at_every_refresh(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    settings = Security.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
            "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": str(token),
        }
    )
    provider = settings.aiokafka_options()["sasl_oauth_token_provider"]
    assert await provider.token() == "first"
    token.write_text("second\n")
    assert await asyncio.wait_for(provider.token(), 5) == "second"
