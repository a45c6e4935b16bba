"""How to reach Kafka: the bootstrap servers and the security settings, checked as a whole.

The variable names are librdkafka's property names, upper-cased, dots as underscores,
prefixed `KAFKA_` (CONTRACT.md, "Connecting to a secured Kafka"), so that operators can
copy them from their provider's console. Everything is read and checked once at start;
only the `_FILE` variants and the files named here are read again whenever a client is
built, so that a rotated mounted secret takes effect without a restart.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiokafka.helpers import create_ssl_context

from fleetwire.errors import ConfigError
from fleetwire.secret import Secret

E = TypeVar("E", bound=StrEnum)


class SecurityProtocol(StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    @property
    def sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


class SaslMechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"
    OAUTHBEARER = "OAUTHBEARER"

    @property
    def uses_password(self) -> bool:
        return self is not SaslMechanism.OAUTHBEARER


class OAuthMethod(StrEnum):
    OIDC = "oidc"
    FILE = "file"
    AWS_MSK_IAM = "aws-msk-iam"


@dataclass(frozen=True)
class SecretSetting:
    """A secret given in a variable, or in a file (`variable` names it) read again on use."""

    variable: str
    literal: Secret | None = None
    path: Path | None = None

    def read(self) -> Secret:
        if self.path is None:
            assert self.literal is not None
            return self.literal
        return Secret(_read_text(self.variable, self.path).strip())


@dataclass(frozen=True)
class OAuthSettings:
    method: OAuthMethod = OAuthMethod.OIDC
    token_endpoint_url: str | None = None
    client_id: str | None = None
    client_secret: SecretSetting | None = None
    scope: str | None = None
    token_file: Path | None = None
    aws_region: str | None = None


@dataclass(frozen=True)
class KafkaSecurity:
    """Everything but the addresses: protocol, SASL credentials, TLS material."""

    protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    mechanism: SaslMechanism | None = None
    username: str | None = None
    password: SecretSetting | None = None
    oauth: OAuthSettings | None = None
    ca_location: Path | None = None
    certificate_location: Path | None = None
    key_location: Path | None = None
    key_password: SecretSetting | None = None
    check_hostname: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KafkaSecurity:
        protocol = _choice(env, "KAFKA_SECURITY_PROTOCOL", SecurityProtocol, upper=True)
        protocol = protocol or SecurityProtocol.PLAINTEXT
        mechanism = _choice(env, "KAFKA_SASL_MECHANISM", SaslMechanism, upper=True)
        _check_protocol(env, protocol, mechanism)
        username, password = _credentials(env, mechanism)
        security = cls(
            protocol=protocol,
            mechanism=mechanism,
            username=username,
            password=password,
            oauth=_oauth(env, mechanism),
            **_tls(env, protocol),
        )
        security.ssl_context()  # a CA, certificate or key that does not load stops us here
        return security

    def ssl_context(self) -> ssl.SSLContext | None:
        """A new TLS context from the files as they are now; None without TLS."""
        if not self.protocol.tls:
            return None
        # The system's CAs when no CA file is given, as librdkafka does.
        try:
            context: ssl.SSLContext = create_ssl_context(cafile=self.ca_location)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"KAFKA_SSL_CA_LOCATION={self.ca_location}: no PEM certificate could be "
                f"loaded ({_reason(exc)}); point it at the PEM file of your cluster's CA"
            ) from None
        if self.certificate_location is not None and self.key_location is not None:
            password = self.key_password.read().value if self.key_password else None
            try:
                context.load_cert_chain(
                    str(self.certificate_location), str(self.key_location), password
                )
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"KAFKA_SSL_CERTIFICATE_LOCATION={self.certificate_location} and "
                    f"KAFKA_SSL_KEY_LOCATION={self.key_location} do not load as a PEM "
                    f"certificate and its key ({_reason(exc)}); check both files and "
                    "KAFKA_SSL_KEY_PASSWORD if the key is encrypted"
                ) from None
        context.check_hostname = self.check_hostname
        return context

    def describe(self) -> str:
        """Protocol, mechanism and user, for log lines (never a secret)."""
        parts = [str(self.protocol)]
        if self.mechanism is not None:
            parts.append(str(self.mechanism))
        if self.username:
            parts.append(f"as {self.username}")
        elif self.certificate_location is not None:
            parts.append(f"with client certificate {self.certificate_location}")
        return " ".join(parts)

    def credential_variables(self) -> str:
        """The variables a person checks when the broker refuses this client's login."""
        if self.mechanism is None:
            if self.certificate_location is not None:
                return "KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION"
            return "KAFKA_SECURITY_PROTOCOL and KAFKA_SASL_MECHANISM"
        if self.mechanism.uses_password:
            where = self.password.variable if self.password else "KAFKA_SASL_PASSWORD"
            return f"KAFKA_SASL_USERNAME and {where} (and KAFKA_SASL_MECHANISM={self.mechanism})"
        method = self.oauth.method if self.oauth else OAuthMethod.OIDC
        if method is OAuthMethod.FILE:
            return "the token in KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (expired? its subject known?)"
        if method is OAuthMethod.AWS_MSK_IAM:
            return "the AWS credentials and AWS_REGION, and the role's MSK permissions"
        return (
            "KAFKA_SASL_OAUTHBEARER_CLIENT_ID, KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET and "
            "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL (is it the issuer the broker trusts?)"
        )


@dataclass(frozen=True)
class KafkaConnection:
    """What every Kafka client of fleetwire is built from (see fleetwire.clients)."""

    bootstrap_servers: str
    security: KafkaSecurity = field(default_factory=KafkaSecurity)

    def describe(self) -> str:
        return f"{self.bootstrap_servers} ({self.security.describe()})"


def _check_protocol(
    env: Mapping[str, str], protocol: SecurityProtocol, mechanism: SaslMechanism | None
) -> None:
    if mechanism is not None and not protocol.sasl:
        raise ConfigError(
            f"KAFKA_SASL_MECHANISM={mechanism} needs KAFKA_SECURITY_PROTOCOL=SASL_SSL "
            f"(or SASL_PLAINTEXT), not {protocol}"
        )
    if mechanism is None and protocol.sasl:
        raise ConfigError(
            f"KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL={protocol}: "
            "use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"
        )
    if not protocol.tls:
        for name in TLS_VARIABLES:
            if _given(env, name):
                raise ConfigError(
                    f"{name} is set but KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS: "
                    "use SSL or SASL_SSL, or unset it"
                )


TLS_VARIABLES = (
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
    "KAFKA_SSL_KEY_PASSWORD_FILE",
    "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM",
)
PASSWORD_VARIABLES = ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE")
OAUTH_VARIABLES = (
    "KAFKA_SASL_OAUTHBEARER_METHOD",
    "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL",
    "KAFKA_SASL_OAUTHBEARER_CLIENT_ID",
    "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET",
    "KAFKA_SASL_OAUTHBEARER_SCOPE",
    "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE",
)


def _credentials(
    env: Mapping[str, str], mechanism: SaslMechanism | None
) -> tuple[str | None, SecretSetting | None]:
    if mechanism is None or not mechanism.uses_password:
        for name in PASSWORD_VARIABLES:
            if _given(env, name):
                raise ConfigError(
                    f"{name} is set but KAFKA_SASL_MECHANISM={mechanism or '(none)'} does not "
                    "use a password: use PLAIN or SCRAM-SHA-*, or unset it"
                )
        return None, None
    password = _secret(env, "KAFKA_SASL_PASSWORD")
    username = env.get("KAFKA_SASL_USERNAME", "").strip()
    if not username:
        raise ConfigError(f"KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM={mechanism}")
    if password is None:
        raise ConfigError(
            f"KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with "
            f"KAFKA_SASL_MECHANISM={mechanism}"
        )
    return username, password


def _oauth(env: Mapping[str, str], mechanism: SaslMechanism | None) -> OAuthSettings | None:
    if mechanism is not SaslMechanism.OAUTHBEARER:
        for name in OAUTH_VARIABLES:
            if _given(env, name):
                raise ConfigError(
                    f"{name} is set but KAFKA_SASL_MECHANISM={mechanism or '(none)'} is not "
                    "OAUTHBEARER: set KAFKA_SASL_MECHANISM=OAUTHBEARER, or unset it"
                )
        return None
    method = _choice(env, "KAFKA_SASL_OAUTHBEARER_METHOD", OAuthMethod) or OAuthMethod.OIDC
    used = {
        OAuthMethod.OIDC: OAUTH_VARIABLES[:5],
        OAuthMethod.FILE: OAUTH_VARIABLES[:1] + OAUTH_VARIABLES[5:],
        OAuthMethod.AWS_MSK_IAM: OAUTH_VARIABLES[:1],
    }[method]
    for name in OAUTH_VARIABLES:
        if name not in used and _given(env, name):
            raise ConfigError(
                f"{name} is set but KAFKA_SASL_OAUTHBEARER_METHOD={method} does not use it"
            )
    if method is OAuthMethod.FILE:
        path = _readable(env, "KAFKA_SASL_OAUTHBEARER_TOKEN_FILE", required=True)
        return OAuthSettings(method=method, token_file=path)
    if method is OAuthMethod.AWS_MSK_IAM:
        region = env.get("AWS_REGION", "").strip() or env.get("AWS_DEFAULT_REGION", "").strip()
        if not region:
            raise ConfigError(
                "AWS_REGION is required with KAFKA_SASL_OAUTHBEARER_METHOD=aws-msk-iam"
            )
        return OAuthSettings(method=method, aws_region=region)
    url = _required(env, "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL", method)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL={url!r} is not an http(s) URL: use "
            "your identity provider's token endpoint, such as https://idp.example.com/token"
        )
    secret = env.get("KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", "")
    if not secret.strip():
        raise ConfigError(
            f"KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET is required with "
            f"KAFKA_SASL_OAUTHBEARER_METHOD={method}"
        )
    return OAuthSettings(
        method=method,
        token_endpoint_url=url,
        client_id=_required(env, "KAFKA_SASL_OAUTHBEARER_CLIENT_ID", method),
        client_secret=SecretSetting(
            "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", literal=Secret(secret.strip())
        ),
        scope=env.get("KAFKA_SASL_OAUTHBEARER_SCOPE", "").strip() or None,
    )


def _tls(env: Mapping[str, str], protocol: SecurityProtocol) -> dict[str, Any]:
    if not protocol.tls:
        return {}
    certificate = _readable(env, "KAFKA_SSL_CERTIFICATE_LOCATION")
    key = _readable(env, "KAFKA_SSL_KEY_LOCATION")
    if certificate is not None and key is None:
        raise ConfigError(
            "KAFKA_SSL_KEY_LOCATION is required with KAFKA_SSL_CERTIFICATE_LOCATION: "
            "a client certificate is useless without its private key"
        )
    if key is not None and certificate is None:
        raise ConfigError(
            "KAFKA_SSL_CERTIFICATE_LOCATION is required with KAFKA_SSL_KEY_LOCATION: "
            "the private key needs its client certificate"
        )
    key_password = _secret(env, "KAFKA_SSL_KEY_PASSWORD")
    if key_password is not None and key is None:
        raise ConfigError(
            f"{key_password.variable} is set but KAFKA_SSL_KEY_LOCATION is not: "
            "a passphrase needs the key it opens"
        )
    algorithm = env.get("KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM", "https").strip().lower()
    if algorithm not in ("https", "none"):
        raise ConfigError(
            f"KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM={algorithm!r} is not valid: "
            "use https (check the broker's host name; the default) or none"
        )
    return {
        "ca_location": _readable(env, "KAFKA_SSL_CA_LOCATION"),
        "certificate_location": certificate,
        "key_location": key,
        "key_password": key_password,
        "check_hostname": algorithm == "https",
    }


def _secret(env: Mapping[str, str], name: str) -> SecretSetting | None:
    """`name` or `name_FILE`, never both; a file must be readable now."""
    value = env.get(name, "")
    file_name = f"{name}_FILE"
    if value and _given(env, file_name):
        raise ConfigError(f"{name} and {file_name} are both set: use one of them")
    if value:
        return SecretSetting(name, literal=Secret(value))
    path = _readable(env, file_name)
    if path is None:
        return None
    setting = SecretSetting(file_name, path=path)
    if not setting.read().value:
        raise ConfigError(f"{file_name}={path} is empty: the secret must be in the file")
    return setting


def _readable(env: Mapping[str, str], name: str, required: bool = False) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        if required:
            raise ConfigError(f"{name} is required")
        return None
    path = Path(raw)
    _read_text(name, path)
    return path


def _read_text(name: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}={path} cannot be read ({_reason(exc)})") from None


def _required(env: Mapping[str, str], name: str, method: OAuthMethod) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required with KAFKA_SASL_OAUTHBEARER_METHOD={method}")
    return value


def _choice(env: Mapping[str, str], name: str, kind: type[E], upper: bool = False) -> E | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return kind(raw.upper() if upper else raw.lower())
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise ConfigError(f"{name}={raw!r} is not valid: use one of {choices}") from None


def _given(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def _reason(exc: BaseException) -> str:
    """An OS or TLS error's reason without the file's content."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return type(exc).__name__
