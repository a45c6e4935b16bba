"""OAUTHBEARER tokens: renewed before expiry, a token file followed, endpoint errors told."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.connection import OAuthMethod, OAuthSettings, SecretSetting
from fleetwire.secret import Secret
from fleetwire.tokens import (
    RefreshingTokenProvider,
    Token,
    TokenError,
    jwt_claims,
    token_provider,
)

CLIENT_SECRET = "cs-Very-Secret-9"


def unsigned_jwt(sub: str, iat: float, exp: float) -> str:
    """What Kafka's unsecured validator takes: `alg: none`, no signature."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'sub': sub, 'iat': iat, 'exp': exp})}."


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Minted:
    """A fetch that counts its calls and mints tokens valid for `lifetime` seconds."""

    clock: Clock
    lifetime: float = 100.0
    calls: list[float] = field(default_factory=list)

    async def __call__(self) -> Token:
        self.calls.append(self.clock.now)
        now = self.clock.now
        return Token(Secret(f"token-{len(self.calls)}"), now, now + self.lifetime)


async def test_a_token_is_reused_until_80_percent_of_its_lifetime() -> None:
    clock = Clock()
    fetch = Minted(clock)
    provider = RefreshingTokenProvider(fetch, clock)
    assert await provider.token() == "token-1"
    clock.now += 79
    assert await provider.token() == "token-1"
    clock.now += 1
    assert await provider.token() == "token-2"  # renewed 20 s before the first one expired
    assert fetch.calls == [1_000_000.0, 1_000_080.0]


@given(lifetime=st.floats(1, 1e6), elapsed=st.floats(0, 2e6))
async def test_a_token_handed_out_is_never_past_its_renewal_point(
    lifetime: float, elapsed: float
) -> None:
    clock = Clock()
    fetch = Minted(clock, lifetime)
    provider = RefreshingTokenProvider(fetch, clock)
    await provider.token()
    clock.now += elapsed
    await provider.token()
    expected = 1 if elapsed < 0.8 * lifetime else 2
    assert len(fetch.calls) == expected


async def test_concurrent_connections_share_one_fetch() -> None:
    import asyncio

    clock = Clock()
    fetch = Minted(clock)
    provider = RefreshingTokenProvider(fetch, clock)
    tokens = await asyncio.gather(*(provider.token() for _ in range(20)))
    assert set(tokens) == {"token-1"}
    assert len(fetch.calls) == 1


async def test_a_token_file_is_read_again_when_due(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "token"
    first = unsigned_jwt("fleetwire-ingress", clock.now, clock.now + 100)
    path.write_text(first + "\n")
    provider = token_provider(OAuthSettings(method=OAuthMethod.FILE, token_file=path), clock)
    assert await provider.token() == first
    second = unsigned_jwt("fleetwire-ingress", clock.now + 50, clock.now + 150)
    path.write_text(second)
    clock.now += 50
    assert await provider.token() == first  # not due yet
    clock.now += 30
    assert await provider.token() == second


async def test_an_expired_token_in_a_file_is_read_again_on_every_connection(
    tmp_path: Path,
) -> None:
    clock = Clock()
    path = tmp_path / "token"
    expired = unsigned_jwt("fleetwire-ingress", clock.now - 200, clock.now - 100)
    path.write_text(expired)
    provider = token_provider(OAuthSettings(method=OAuthMethod.FILE, token_file=path), clock)
    assert await provider.token() == expired  # the broker refuses it, and says so
    renewed = unsigned_jwt("fleetwire-ingress", clock.now, clock.now + 100)
    path.write_text(renewed)
    assert await provider.token() == renewed


async def test_an_opaque_token_in_a_file_is_read_again_every_minute(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "token"
    path.write_text("opaque")
    provider = token_provider(OAuthSettings(method=OAuthMethod.FILE, token_file=path), clock)
    assert await provider.token() == "opaque"
    path.write_text("opaque-2")
    clock.now += 59
    assert await provider.token() == "opaque"
    clock.now += 1
    assert await provider.token() == "opaque-2"


async def test_a_missing_or_empty_token_file_is_a_token_error(tmp_path: Path) -> None:
    path = tmp_path / "token"
    provider = token_provider(OAuthSettings(method=OAuthMethod.FILE, token_file=path))
    with pytest.raises(TokenError, match=r"KAFKA_SASL_OAUTHBEARER_TOKEN_FILE=.* cannot be read"):
        await provider.token()
    path.write_text("")
    with pytest.raises(TokenError, match="is empty"):
        await provider.token()


@dataclass
class IdentityProvider:
    """A token endpoint: client credentials in, unsigned JWTs out."""

    url: str = ""
    lifetime: int = 300
    status: int = 200
    grants: list[dict[str, str]] = field(default_factory=list)

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.grants.append({k: str(v) for k, v in form.items()})
        expected = "Basic " + base64.b64encode(f"fleetwire:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response(
                {"error": "invalid_client", "error_description": "bad client credentials"},
                status=401,
            )
        if self.status != 200:
            return web.Response(status=self.status, text="upstream trouble")
        now = time.time()
        return web.json_response(
            {
                "access_token": unsigned_jwt("fleetwire-ingress", now, now + self.lifetime),
                "token_type": "Bearer",
                "expires_in": self.lifetime,
            }
        )


@pytest.fixture
async def idp() -> AsyncIterator[IdentityProvider]:
    provider = IdentityProvider()
    app = web.Application()
    app.router.add_post("/token", provider.token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    provider.url = f"http://127.0.0.1:{port}/token"
    yield provider
    await runner.cleanup()


def oidc(url: str, secret: str = CLIENT_SECRET, scope: str | None = "kafka") -> OAuthSettings:
    return OAuthSettings(
        method=OAuthMethod.OIDC,
        token_endpoint_url=url,
        client_id="fleetwire",
        client_secret=SecretSetting("KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET", Secret(secret)),
        scope=scope,
    )


async def test_the_client_credentials_grant(idp: IdentityProvider) -> None:
    provider = token_provider(oidc(idp.url))
    token = await provider.token()
    assert jwt_claims(token)["sub"] == "fleetwire-ingress"
    assert idp.grants == [{"grant_type": "client_credentials", "scope": "kafka"}]
    assert await provider.token() == token  # cached
    assert len(idp.grants) == 1


async def test_an_endpoint_token_is_renewed_before_it_expires(idp: IdentityProvider) -> None:
    idp.lifetime = 100
    clock = Clock(time.time())
    provider = token_provider(oidc(idp.url), clock)
    await provider.token()
    clock.now += 81
    await provider.token()
    assert len(idp.grants) == 2


async def test_refused_client_credentials_are_told_without_the_secret(
    idp: IdentityProvider,
) -> None:
    provider = token_provider(oidc(idp.url, secret="wrong-secret-value"))
    with pytest.raises(TokenError) as raised:
        await provider.token()
    text = str(raised.value)
    assert "HTTP 401: invalid_client bad client credentials" in text
    assert "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET" in text
    assert "wrong-secret-value" not in text


async def test_an_endpoint_failure_is_a_token_error(idp: IdentityProvider) -> None:
    idp.status = 503
    with pytest.raises(TokenError, match="HTTP 503; check"):
        await token_provider(oidc(idp.url)).token()


async def test_an_endpoint_that_does_not_answer_is_a_token_error() -> None:
    with pytest.raises(
        TokenError, match=r"token endpoint http://127\.0\.0\.1:1/t .*did not answer"
    ):
        await token_provider(oidc("http://127.0.0.1:1/t")).token()


def test_token_repr_hides_the_token() -> None:
    token = Token(Secret("abc.def.ghi"), 0, 1)
    provider = RefreshingTokenProvider(Minted(Clock()))
    assert "abc.def.ghi" not in repr(token) + repr(provider)


@pytest.mark.parametrize("text", ["", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c"])
def test_what_is_not_a_jwt_has_no_claims(text: str) -> None:
    assert jwt_claims(text) == {}
