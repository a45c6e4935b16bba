"""The Kafka connection settings: every variable, every contradiction, no secret shown."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetwire.connection import (
    KafkaConnection,
    KafkaSecurity,
    OAuthMethod,
    SaslMechanism,
    SecurityProtocol,
)
from fleetwire.errors import ConfigError
from fleetwire.settings import Settings
from tests.support.certs import encrypt_key, issue, make_ca

PASSWORD = "pw-Very-Secret-1"
CLIENT_SECRET = "cs-Very-Secret-2"
KEY_PASSPHRASE = "kp-Very-Secret-3"
SECRETS = (PASSWORD, CLIENT_SECRET, KEY_PASSPHRASE)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("tls")
    ca = make_ca(directory, "ca")
    client = issue(ca, directory, "client")
    return {
        "ca": ca.cert,
        "cert": client.cert,
        "key": client.key,
        "encrypted_key": encrypt_key(client, directory, KEY_PASSPHRASE),
        "not_pem": _write(directory / "not.pem", "hello"),
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


SCRAM = {
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "fleetwire-ingress",
    "KAFKA_SASL_PASSWORD": PASSWORD,
}
OIDC = {
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
    "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": "https://idp.example.com/token",
    "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": "fleetwire",
    "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": CLIENT_SECRET,
}


def test_the_default_is_plain_text_to_the_default_broker() -> None:
    settings = Settings.from_env({})
    assert settings.kafka == KafkaConnection("127.0.0.1:9092", KafkaSecurity())
    assert settings.kafka.security.protocol is SecurityProtocol.PLAINTEXT
    assert settings.kafka.security.ssl_context() is None


def test_scram_over_tls() -> None:
    security = Settings.from_env(SCRAM).kafka_security
    assert security.protocol is SecurityProtocol.SASL_SSL
    assert security.mechanism is SaslMechanism.SCRAM_SHA_512
    assert security.username == "fleetwire-ingress"
    assert security.password is not None
    assert security.password.read().value == PASSWORD
    context = security.ssl_context()
    assert context is not None
    assert context.check_hostname
    assert context.verify_mode is ssl.CERT_REQUIRED


def test_names_are_case_insensitive_as_in_librdkafka() -> None:
    env = {**SCRAM, "KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "KAFKA_SASL_MECHANISM": "scram-sha-256"}
    security = KafkaSecurity.from_env(env)
    assert security.protocol is SecurityProtocol.SASL_SSL
    assert security.mechanism is SaslMechanism.SCRAM_SHA_256


def test_oidc_settings() -> None:
    oauth = KafkaSecurity.from_env({**OIDC, "KAFKA_SASL_OAUTHBEARER_SCOPE": "kafka"}).oauth
    assert oauth is not None
    assert oauth.method is OAuthMethod.OIDC
    assert oauth.token_endpoint_url == "https://idp.example.com/token"
    assert oauth.client_id == "fleetwire"
    assert oauth.scope == "kafka"
    assert oauth.client_secret is not None
    assert oauth.client_secret.read().value == CLIENT_SECRET


def test_a_token_file(tmp_path: Path) -> None:
    token = _write(tmp_path / "token", "a.b.c")
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
        "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
        "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": str(token),
    }
    oauth = KafkaSecurity.from_env(env).oauth
    assert oauth is not None
    assert oauth.method is OAuthMethod.FILE
    assert oauth.token_file == token


def test_mutual_tls_with_an_encrypted_key(tls: dict[str, Path]) -> None:
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CA_LOCATION": str(tls["ca"]),
        "KAFKA_SSL_CERTIFICATE_LOCATION": str(tls["cert"]),
        "KAFKA_SSL_KEY_LOCATION": str(tls["encrypted_key"]),
        "KAFKA_SSL_KEY_PASSWORD": KEY_PASSPHRASE,
        "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "none",
    }
    security = KafkaSecurity.from_env(env)
    context = security.ssl_context()
    assert context is not None
    assert not context.check_hostname
    assert security.describe() == f"SSL with client certificate {tls['cert']}"


def test_a_password_file_is_read_again_for_every_client(tmp_path: Path) -> None:
    path = _write(tmp_path / "password", f"{PASSWORD}\n")
    env = {**SCRAM, "KAFKA_SASL_PASSWORD_FILE": str(path)}
    del env["KAFKA_SASL_PASSWORD"]
    security = KafkaSecurity.from_env(env)
    assert security.password is not None
    assert security.password.read().value == PASSWORD  # the newline of `echo` is dropped
    path.write_text("rotated")
    assert security.password.read().value == "rotated"


# Each: the environment on top of `base`, and the variable the one-line error names.
ERRORS = [
    ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL='TLS' is not valid"),
    ({**SCRAM, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM='GSSAPI' is not valid"),
    ({**SCRAM, "KAFKA_SECURITY_PROTOCOL": "SSL"}, "needs KAFKA_SECURITY_PROTOCOL=SASL_SSL"),
    ({**SCRAM, "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "needs KAFKA_SECURITY_PROTOCOL"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM is required"),
    ({**SCRAM, "KAFKA_SASL_USERNAME": ""}, "KAFKA_SASL_USERNAME is required"),
    ({**SCRAM, "KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is"),
    (
        {**SCRAM, "KAFKA_SASL_PASSWORD_FILE": "/etc/hostname"},
        "KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set",
    ),
    (
        {**SCRAM, "KAFKA_SASL_PASSWORD": "", "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/pw"},
        "KAFKA_SASL_PASSWORD_FILE=/nonexistent/pw cannot be read",
    ),
    ({"KAFKA_SASL_PASSWORD": PASSWORD}, "KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM"),
    ({"KAFKA_SASL_USERNAME": "someone"}, "KAFKA_SASL_USERNAME is set but"),
    ({**OIDC, "KAFKA_SASL_USERNAME": "someone"}, "KAFKA_SASL_USERNAME is set but"),
    (
        {**SCRAM, "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": "x"},
        "KAFKA_SASL_OAUTHBEARER_CLIENT_ID is set but KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_METHOD": "saml"},
        "KAFKA_SASL_OAUTHBEARER_METHOD='saml' is not valid",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": ""},
        "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL is required",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": "idp.example.com/token"},
        "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL='idp.example.com/token' is not an http(s)",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": ""},
        "KAFKA_SASL_OAUTHBEARER_CLIENT_ID is required",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": ""},
        "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET is required",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": "/etc/hostname"},
        "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE is set but KAFKA_SASL_OAUTHBEARER_METHOD=oidc",
    ),
    (
        {**OIDC, "KAFKA_SASL_OAUTHBEARER_METHOD": "file"},
        "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL is set but KAFKA_SASL_OAUTHBEARER_METHOD=file",
    ),
    (
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
        },
        "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE is required",
    ),
    (
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_METHOD": "file",
            "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": "/nonexistent/token",
        },
        "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE=/nonexistent/token cannot be read",
    ),
    (
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
            "KAFKA_SASL_OAUTHBEARER_METHOD": "aws-msk-iam",
        },
        "AWS_REGION is required",
    ),
    ({"KAFKA_SSL_CA_LOCATION": "/etc/hostname"}, "KAFKA_SSL_CA_LOCATION is set but"),
    ({**SCRAM, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SSL_KEY_PASSWORD": "x"}, "TLS"),
    (
        {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_LOCATION": "/nonexistent/ca.pem"},
        "KAFKA_SSL_CA_LOCATION=/nonexistent/ca.pem cannot be read",
    ),
    (
        {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": "x"},
        "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM='x' is not valid",
    ),
]


@pytest.mark.parametrize(("env", "message"), ERRORS)
def test_a_setting_that_does_not_fit_is_one_line_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text
    assert not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"cert": "cert"}, "KAFKA_SSL_KEY_LOCATION is required with KAFKA_SSL_CERTIFICATE"),
        ({"key": "key"}, "KAFKA_SSL_CERTIFICATE_LOCATION is required with KAFKA_SSL_KEY"),
        ({"ca": "not_pem"}, "KAFKA_SSL_CA_LOCATION="),
        ({"cert": "not_pem", "key": "key"}, "do not load as a PEM certificate and its key"),
        ({"cert": "cert", "key": "encrypted_key"}, "KAFKA_SSL_KEY_PASSWORD if the key"),
        ({"password": KEY_PASSPHRASE}, "KAFKA_SSL_KEY_PASSWORD is set but KAFKA_SSL_KEY_LOCATION"),
    ],
)
def test_tls_files_that_do_not_fit(
    tls: dict[str, Path], given: dict[str, str], message: str
) -> None:
    names = {
        "ca": "KAFKA_SSL_CA_LOCATION",
        "cert": "KAFKA_SSL_CERTIFICATE_LOCATION",
        "key": "KAFKA_SSL_KEY_LOCATION",
    }
    env = {"KAFKA_SECURITY_PROTOCOL": "SSL"}
    for what, file in given.items():
        if what == "password":
            env["KAFKA_SSL_KEY_PASSWORD"] = file
        else:
            env[names[what]] = str(tls[file])
    with pytest.raises(ConfigError) as raised:
        KafkaSecurity.from_env(env)
    assert message in str(raised.value)
    assert KEY_PASSPHRASE not in str(raised.value)


def test_a_wrong_key_passphrase_is_named_without_showing_it(tls: dict[str, Path]) -> None:
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CERTIFICATE_LOCATION": str(tls["cert"]),
        "KAFKA_SSL_KEY_LOCATION": str(tls["encrypted_key"]),
        "KAFKA_SSL_KEY_PASSWORD": "not-the-passphrase",
    }
    with pytest.raises(ConfigError) as raised:
        KafkaSecurity.from_env(env)
    assert "KAFKA_SSL_KEY_PASSWORD" in str(raised.value)
    assert "not-the-passphrase" not in str(raised.value)


def test_no_secret_in_repr_or_str(tmp_path: Path, tls: dict[str, Path]) -> None:
    scram = Settings.from_env(SCRAM)
    oidc = Settings.from_env(OIDC)
    mtls = KafkaSecurity.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CERTIFICATE_LOCATION": str(tls["cert"]),
            "KAFKA_SSL_KEY_LOCATION": str(tls["encrypted_key"]),
            "KAFKA_SSL_KEY_PASSWORD": KEY_PASSPHRASE,
        }
    )
    shown = " ".join(
        text
        for thing in (scram, oidc, mtls, scram.kafka, oidc.kafka_security.oauth)
        for text in (repr(thing), str(thing))
    )
    shown += scram.kafka.describe() + oidc.kafka.describe() + mtls.describe()
    assert not any(secret in shown for secret in SECRETS)
    assert "***" in shown


VARIABLES = {
    "KAFKA_SECURITY_PROTOCOL": st.sampled_from(["PLAINTEXT", "SSL", "SASL_SSL", "sasl_plaintext"]),
    "KAFKA_SASL_MECHANISM": st.sampled_from(["PLAIN", "SCRAM-SHA-512", "OAUTHBEARER", "X"]),
    "KAFKA_SASL_USERNAME": st.just("user"),
    "KAFKA_SASL_PASSWORD": st.just(PASSWORD),
    "KAFKA_SASL_PASSWORD_FILE": st.sampled_from(["PASSWORD_FILE", "/nonexistent"]),
    "KAFKA_SASL_OAUTHBEARER_METHOD": st.sampled_from(["oidc", "file", "other"]),
    "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": st.just("http://127.0.0.1:1/token"),
    "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": st.just("client"),
    "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": st.just(CLIENT_SECRET),
    "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE": st.sampled_from(["PASSWORD_FILE", "/nonexistent"]),
    "KAFKA_SSL_KEY_PASSWORD": st.just(KEY_PASSPHRASE),
    "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM": st.sampled_from(["https", "none", "bogus"]),
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.fixed_dictionaries({}, optional=dict(VARIABLES)))
def test_any_combination_starts_or_names_one_variable_without_a_secret(
    tmp_path: Path, chosen: dict[str, str]
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD)
    env = {k: str(password_file) if v == "PASSWORD_FILE" else v for k, v in chosen.items()}
    try:
        security = KafkaSecurity.from_env(env)
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text
        assert any(name in text for name in (*VARIABLES, "AWS_REGION"))
        assert not any(secret in text for secret in SECRETS)
        return
    shown = repr(security) + security.describe() + security.credential_variables()
    assert not any(secret in shown for secret in SECRETS)
    # What started is consistent: SASL exactly when a mechanism, TLS settings only with TLS.
    assert security.protocol.sasl == (security.mechanism is not None)
    assert security.protocol.tls or security.check_hostname
    assert (security.password is not None) == bool(
        security.mechanism and security.mechanism.uses_password
    )
    assert (security.oauth is not None) == (security.mechanism is SaslMechanism.OAUTHBEARER)
