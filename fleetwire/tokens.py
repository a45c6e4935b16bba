"""OAUTHBEARER tokens for Kafka: fetched, cached, and renewed before they expire.

aiokafka asks for a token on every new connection; a provider hands out the cached one
until 80% of its lifetime has passed, then gets a new one. Methods:
- `oidc`: an OAuth 2.0 client-credentials grant against the token endpoint;
- `file`: a token file that something else renews (a sidecar, a mounted secret);
- `aws-msk-iam`: Amazon MSK's signed token, from aws-msk-iam-sasl-signer-python when it
  is installed (it brings boto3, so it is not a dependency of fleetwire).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiokafka.abc import AbstractTokenProvider
from aiokafka.errors import KafkaConnectionError

from fleetwire.connection import OAuthMethod, OAuthSettings
from fleetwire.errors import ConfigError, FleetwireError
from fleetwire.secret import Secret

log = logging.getLogger(__name__)

REFRESH_AT = 0.8  # of a token's lifetime
# A token whose lifetime nobody tells us (an opaque token in a file) is read again this
# often; one from an endpoint that names no lifetime is kept this long.
UNKNOWN_LIFETIME_S = 60.0
ENDPOINT_TIMEOUT_S = 10.0


class TokenError(FleetwireError, KafkaConnectionError):  # type: ignore[misc]
    """No token could be obtained. A KafkaConnectionError, so aiokafka treats it as a
    failed connection (retried, reported) rather than crashing its background tasks."""


@dataclass(frozen=True)
class Token:
    value: Secret
    issued_at: float
    expires_at: float | None  # None: unknown

    def refresh_at(self) -> float:
        if self.expires_at is None:
            return self.issued_at + UNKNOWN_LIFETIME_S
        return self.issued_at + REFRESH_AT * max(0.0, self.expires_at - self.issued_at)


Fetch = Callable[[], Awaitable[Token]]


class RefreshingTokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """Hands out one token until it is due for renewal; one fetch at a time."""

    def __init__(self, fetch: Fetch, clock: Callable[[], float] = time.time) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: Token | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        current = self._token
        if current is not None and self._clock() < current.refresh_at():
            return current.value.value
        async with self._lock:
            current = self._token
            if current is None or self._clock() >= current.refresh_at():
                current = await self._fetch()
                self._token = current
            return current.value.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token='***')"


def token_provider(oauth: OAuthSettings, clock: Callable[[], float] = time.time) -> Any:
    """The provider for these settings (an aiokafka AbstractTokenProvider)."""
    fetch: Fetch
    if oauth.method is OAuthMethod.FILE:
        fetch = FileToken(oauth, clock)
    elif oauth.method is OAuthMethod.AWS_MSK_IAM:
        fetch = MskIamToken(oauth, clock)
    else:
        fetch = ClientCredentials(oauth, clock)
    return RefreshingTokenProvider(fetch, clock)


class FileToken:
    """Reads the token file on every renewal: whatever renews the file, we follow."""

    def __init__(self, oauth: OAuthSettings, clock: Callable[[], float]) -> None:
        assert oauth.token_file is not None
        self._path = oauth.token_file
        self._clock = clock

    async def __call__(self) -> Token:
        try:
            text = self._path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(
                f"KAFKA_SASL_OAUTHBEARER_TOKEN_FILE={self._path} cannot be read "
                f"({type(exc).__name__})"
            ) from None
        if not text:
            raise TokenError(f"KAFKA_SASL_OAUTHBEARER_TOKEN_FILE={self._path} is empty")
        now = self._clock()
        claims = jwt_claims(text)
        expires = _number(claims.get("exp"))
        issued = _number(claims.get("iat"))
        if expires is not None and expires <= now:
            # Handed to the broker all the same, which refuses it and says so; read again
            # on the next connection, when the file may have been renewed.
            return Token(Secret(text), now, now)
        # A token read some time after it was issued is renewed relative to now.
        issued = now if issued is None or issued > now else issued
        return Token(Secret(text), max(issued, now - 1), expires)


class ClientCredentials:
    """OAuth 2.0 client-credentials grant (RFC 6749 4.4), client authenticated by Basic."""

    def __init__(self, oauth: OAuthSettings, clock: Callable[[], float]) -> None:
        assert oauth.token_endpoint_url
        assert oauth.client_id
        assert oauth.client_secret
        self._url = oauth.token_endpoint_url
        self._client_id = oauth.client_id
        self._secret = oauth.client_secret
        self._scope = oauth.scope
        self._clock = clock

    async def __call__(self) -> Token:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        pair = f"{self._client_id}:{self._secret.read().value}".encode()
        headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        started = self._clock()
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=ENDPOINT_TIMEOUT_S)
                ) as session,
                session.post(self._url, data=form, headers=headers) as response,
            ):
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TokenError(
                f"token endpoint {self._url} (KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL) "
                f"did not answer: {type(exc).__name__}"
            ) from None
        return self._token(status, body, started)

    def _token(self, status: int, body: bytes, started: float) -> Token:
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        if status != 200:
            # RFC 6749 5.2: `error` and `error_description` name the problem; neither
            # carries the credentials.
            described = " ".join(
                str(answer[k])[:200] for k in ("error", "error_description") if k in answer
            )
            raise TokenError(
                f"token endpoint {self._url} refused the client credentials grant: HTTP "
                f"{status}{': ' + described if described else ''}; check "
                "KAFKA_SASL_OAUTHBEARER_CLIENT_ID, KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET "
                "and KAFKA_SASL_OAUTHBEARER_SCOPE"
            )
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise TokenError(f"token endpoint {self._url} answered without an access_token")
        lifetime = _number(answer.get("expires_in"))
        expires = _number(jwt_claims(access).get("exp"))
        if lifetime is not None:
            expires = started + lifetime
        return Token(Secret(access), started, expires)


class MskIamToken:
    """Amazon MSK IAM: a SigV4-signed token from aws-msk-iam-sasl-signer-python.

    Needs the `msk-iam` extra (aws-msk-iam-sasl-signer-python) and AWS credentials from the usual
    chain (environment, web identity, instance role). Not testable without AWS.
    """

    MODULE = "aws_msk_iam_sasl_signer"

    def __init__(self, oauth: OAuthSettings, clock: Callable[[], float]) -> None:
        assert oauth.aws_region is not None
        try:
            self._signer: Any = importlib.import_module(self.MODULE).MSKAuthTokenProvider
        except ImportError:
            raise ConfigError(
                "KAFKA_SASL_OAUTHBEARER_METHOD=aws-msk-iam needs the AWS signer: "
                "pip install 'fleetwire[msk-iam]' (aws-msk-iam-sasl-signer-python)"
            ) from None
        self._region = oauth.aws_region
        self._clock = clock

    async def __call__(self) -> Token:
        started = self._clock()
        try:
            value, expiry_ms = await asyncio.to_thread(
                self._signer.generate_auth_token, self._region
            )
        except Exception as exc:  # botocore's credential errors have no common base
            raise TokenError(
                f"no MSK IAM token for AWS_REGION={self._region}: {type(exc).__name__}; "
                "check the process's AWS credentials"
            ) from None
        return Token(Secret(value), started, float(expiry_ms) / 1000)


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (the broker verifies); {} if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
