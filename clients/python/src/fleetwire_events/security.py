"""Connecting to a secured Kafka: the settings fleetwire's own processes read, for consumers.

The names are librdkafka's property names upper-cased, dots as underscores, prefixed
`KAFKA_` (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_MECHANISM`, ...), the same variables the
pipeline's processes read, so a consumer deployed beside them is configured the same way.
`Security.from_env()` reads them; `Security(...)` takes them explicitly. A setting that does
not fit the protocol raises `SecurityError` naming the variable; secrets never appear in
a repr or an error.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
OAUTH_METHODS = ("oidc", "file")
# Refresh a token once this share of its lifetime is over, not when the broker refuses it.
TOKEN_REFRESH_SHARE = 0.8
TOKEN_TIMEOUT_S = 10.0


class SecurityError(ValueError):
    """A Kafka security setting that is missing, unreadable or does not fit the others."""


def _secret() -> Any:
    return field(default=None, repr=False)


@dataclass(frozen=True)
class Security:
    """The `KAFKA_*` security settings; attribute names are the variables' lower-cased
    tails (`sasl_username` is `KAFKA_SASL_USERNAME`)."""

    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = _secret()
    sasl_password_file: str | None = None
    sasl_oauthbearer_method: str = "oidc"
    sasl_oauthbearer_token_endpoint_url: str | None = None
    sasl_oauthbearer_client_id: str | None = None
    sasl_oauthbearer_client_secret: str | None = _secret()
    sasl_oauthbearer_scope: str | None = None
    sasl_oauthbearer_token_file: str | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: str | None = _secret()
    ssl_key_password_file: str | None = None
    ssl_endpoint_identification_algorithm: str = "https"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Security:
        """The settings from `KAFKA_*` variables (of `os.environ` by default); empty
        values count as unset."""
        env = os.environ if env is None else env
        given = {f.name: env.get(variable(f.name)) for f in fields(cls)}
        return cls(**{name: value for name, value in given.items() if value})

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        protocol = self.security_protocol
        _one_of("security_protocol", protocol, PROTOCOLS)
        sasl, tls = protocol.startswith("SASL_"), protocol.endswith("SSL")
        if sasl:
            if self.sasl_mechanism is None:
                _fail("sasl_mechanism", f"is required with {protocol}")
            _one_of("sasl_mechanism", self.sasl_mechanism, MECHANISMS)
        else:
            for name in _SASL:
                if getattr(self, name) is not None:
                    _fail(name, f"does not fit security protocol {protocol} (no SASL)")
        if not tls:
            for name in _TLS:
                if getattr(self, name) is not None:
                    _fail(name, f"does not fit security protocol {protocol} (no TLS)")
        if sasl and self.sasl_mechanism == "OAUTHBEARER":
            self._check_oauth()
        elif sasl:
            self._check_password()
        if tls:
            self._check_tls()

    def _check_password(self) -> None:
        if self.sasl_password is not None and self.sasl_password_file is not None:
            _fail("sasl_password_file", "and KAFKA_SASL_PASSWORD are both set; keep one")
        if self.sasl_username is None:
            _fail("sasl_username", f"is required with {self.sasl_mechanism}")
        if self.sasl_password is None and self.sasl_password_file is None:
            _fail(
                "sasl_password",
                f"(or KAFKA_SASL_PASSWORD_FILE) is required with {self.sasl_mechanism}",
            )
        if self.sasl_password_file is not None:
            _readable("sasl_password_file", self.sasl_password_file)

    def _check_oauth(self) -> None:
        _one_of("sasl_oauthbearer_method", self.sasl_oauthbearer_method, OAUTH_METHODS)
        if self.sasl_oauthbearer_method == "file":
            if self.sasl_oauthbearer_token_file is None:
                _fail("sasl_oauthbearer_token_file", "is required with method file")
            _readable("sasl_oauthbearer_token_file", self.sasl_oauthbearer_token_file)
            return
        for name in (
            "sasl_oauthbearer_token_endpoint_url",
            "sasl_oauthbearer_client_id",
            "sasl_oauthbearer_client_secret",
        ):
            if getattr(self, name) is None:
                _fail(name, "is required with OAUTHBEARER method oidc")

    def _check_tls(self) -> None:
        _one_of(
            "ssl_endpoint_identification_algorithm",
            self.ssl_endpoint_identification_algorithm,
            ("https", "none"),
        )
        certificate, key = self.ssl_certificate_location, self.ssl_key_location
        if (certificate is None) != (key is None):
            _fail(
                "ssl_key_location" if key is None else "ssl_certificate_location",
                "is required with the other half of the client certificate",
            )
        if self.ssl_key_password is not None and self.ssl_key_password_file is not None:
            _fail("ssl_key_password_file", "and KAFKA_SSL_KEY_PASSWORD are both set; keep one")
        for name in (
            "ssl_ca_location",
            "ssl_certificate_location",
            "ssl_key_location",
            "ssl_key_password_file",
        ):
            value = getattr(self, name)
            if value is not None:
                _readable(name, value)

    def aiokafka_options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka client (consumer, producer or admin)."""
        protocol = self.security_protocol
        options: dict[str, Any] = {"security_protocol": protocol}
        if protocol.endswith("SSL"):
            options["ssl_context"] = self.ssl_context()
        if protocol.startswith("SASL_"):
            options["sasl_mechanism"] = self.sasl_mechanism
            if self.sasl_mechanism == "OAUTHBEARER":
                options["sasl_oauth_token_provider"] = _token_provider(self)
            else:
                options["sasl_plain_username"] = self.sasl_username
                options["sasl_plain_password"] = self._password()
        return options

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ssl_ca_location)
        if self.ssl_endpoint_identification_algorithm == "none":
            context.check_hostname = False  # the certificate is still verified
        if self.ssl_certificate_location is not None:
            password = self.ssl_key_password
            if self.ssl_key_password_file is not None:
                password = _read("ssl_key_password_file", self.ssl_key_password_file)
            try:
                context.load_cert_chain(
                    self.ssl_certificate_location, self.ssl_key_location, password
                )
            except (ssl.SSLError, OSError) as exc:
                _fail(
                    "ssl_key_location", f"does not load with its certificate: {exc.strerror or exc}"
                )
        return context

    def _password(self) -> str | None:
        if self.sasl_password_file is not None:
            return _read("sasl_password_file", self.sasl_password_file)
        return self.sasl_password


_SASL = tuple(
    f.name
    for f in fields(Security)
    if f.name.startswith("sasl_") and f.name != "sasl_oauthbearer_method"
)
_TLS = (
    "ssl_ca_location",
    "ssl_certificate_location",
    "ssl_key_location",
    "ssl_key_password",
    "ssl_key_password_file",
)


def variable(name: str) -> str:
    return f"KAFKA_{name.upper()}"


def _fail(name: str, problem: str) -> NoReturn:
    raise SecurityError(f"{variable(name)} {problem}")


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        _fail(name, f"is {value!r}; expected one of {', '.join(allowed)}")


def _readable(name: str, path: str) -> None:
    _read(name, path)


def _read(name: str, path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        _fail(name, f"names {path}, which cannot be read: {exc.strerror}")


class OidcTokens:
    """OAuth 2.0 client-credentials tokens (RFC 6749, 4.4), fetched again before expiry."""

    def __init__(self, url: str, client_id: str, client_secret: str, scope: str | None) -> None:
        self._url = url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"OidcTokens(url={self._url!r}, client_id={self._client_id!r})"

    def current(self) -> str:
        """A valid token: the one held until it is due for refresh, then a new one."""
        if self._token is None or time.monotonic() >= self._refresh_at:
            self._token, lifetime = self._fetch()
            self._refresh_at = time.monotonic() + lifetime * TOKEN_REFRESH_SHARE
        return self._token

    def _fetch(self) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        credentials = f"{_quote(self._client_id)}:{_quote(self._client_secret)}"
        request = urllib.request.Request(  # noqa: S310 (the operator's configured endpoint)
            self._url,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT_S) as response:  # noqa: S310
                answer = json.loads(response.read())
            return str(answer["access_token"]), float(answer.get("expires_in", 300))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Never the answer itself: it may hold a token.
            raise SecurityError(
                f"no token from KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL {self._url}: "
                f"{type(exc).__name__}"
            ) from None


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")  # client_secret_basic: form-encoded first


def _token_provider(settings: Security) -> Any:
    # Imported here: aiokafka is the `kafka` extra, and the settings work without it.
    from aiokafka.abc import AbstractTokenProvider  # noqa: PLC0415

    if settings.sasl_oauthbearer_method == "file":
        path: str = settings.sasl_oauthbearer_token_file or ""

        class FileTokens(AbstractTokenProvider):  # type: ignore[misc]
            async def token(self) -> str:
                return _read("sasl_oauthbearer_token_file", path)  # re-read on every refresh

        return FileTokens()

    tokens = OidcTokens(
        settings.sasl_oauthbearer_token_endpoint_url or "",
        settings.sasl_oauthbearer_client_id or "",
        settings.sasl_oauthbearer_client_secret or "",
        settings.sasl_oauthbearer_scope,
    )

    class Oidc(AbstractTokenProvider):  # type: ignore[misc]
        async def token(self) -> str:
            return await asyncio.to_thread(tokens.current)

    return Oidc()
