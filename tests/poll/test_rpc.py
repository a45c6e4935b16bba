"""The JSON-RPC client against the local MyGeotab server: sessions, redirects, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from fleetwire.secret import Secret
from localgeotab import Credentials, Fleet, MyGeotab
from localkafka.ports import free_port
from poll.rpc import (
    RESET_MARGIN_S,
    LoginRefused,
    MyGeotabClient,
    OverLimit,
    ServerError,
    Unreachable,
)
from poll.sources import PullSource
from tests.support.mygeotab import serving

PASSWORD = "s3cret-Pa55word"


class FakeTime:
    """A clock the client's waits advance, shared with the server's rate limits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def source(url: str, password: str = PASSWORD, database: str = "demo") -> PullSource:
    return PullSource(
        name="fleet",
        provider="geotab",
        server=url,
        database=database,
        username=Secret("demo@example.com"),
        password=Secret(password),
    )


def local_server(fake: FakeTime | None = None, **options: object) -> MyGeotab:
    clock = fake.clock if fake else None
    fleet = Fleet(devices=3, entities=50) if clock is None else Fleet(3, 50, clock=clock)
    credentials = Credentials(password=PASSWORD)
    if clock is None:
        return MyGeotab(fleet, credentials, feed_interval_s=0, **options)  # type: ignore[arg-type]
    return MyGeotab(fleet, credentials, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_one_login_serves_many_calls(http: aiohttp.ClientSession) -> None:
    server = local_server()
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http)
        version = None
        seen = []
        for _ in range(6):
            page = await client.get_feed("LogRecord", version, 20)
            seen += [e["id"] for e in page.entities]
            version = page.to_version
    assert client.authentications == 1
    assert server.calls["Authenticate"] == 1
    assert len(seen) == len(set(seen)) == 50  # every record once, then empty pages


async def test_an_expired_session_is_renewed_transparently(http: aiohttp.ClientSession) -> None:
    server = local_server(session_calls=2)
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http)
        for _ in range(5):
            await client.get_feed("Device", None, 10)
        server.expire_sessions()
        await client.get_feed("Device", None, 10)
    assert server.calls["GetFeed:InvalidUserException"] >= 3
    assert client.authentications == server.calls["Authenticate"] >= 4
    assert server.calls["GetFeed"] == 6


@pytest.mark.parametrize(
    ("password", "database"), [("wrong-password", "demo"), (PASSWORD, "no_such_db")]
)
async def test_a_refused_login_says_what_to_check_and_never_the_password(
    http: aiohttp.ClientSession, password: str, database: str
) -> None:
    async with serving(local_server()) as url:
        client = MyGeotabClient(source(url, password, database), http)
        with pytest.raises(LoginRefused) as info:
            await client.get_feed("LogRecord", None, 10)
    message = str(info.value)
    assert "InvalidUserException" in message
    assert database in message
    assert "password" in message  # what to check
    assert password not in message
    assert PASSWORD not in repr(client.__dict__)


async def test_calls_follow_the_path_authenticate_names(http: aiohttp.ClientSession) -> None:
    server = local_server()
    async with serving(server, redirected=True) as other:
        server.redirect = other.removeprefix("http://")
        async with serving(server) as url:
            client = MyGeotabClient(source(url), http)
            page = await client.get_feed("Device", None, 10)
    # The first server refuses every call but Authenticate: the data came from the other.
    assert [d["id"] for d in page.entities] == ["b1", "b2", "b3"]
    assert server.calls["GetFeed"] == 1
    assert not any(key.endswith("DbUnavailableException") for key in server.calls)


async def test_over_limit_is_raised_with_retry_after_and_then_waited_for(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeTime()
    server = local_server(fake)
    server.over_limit_burst, server.retry_after_s = 1, 7
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http, clock=fake.clock, sleep=fake.sleep)
        with pytest.raises(OverLimit) as info:
            await client.get_feed("Trip", None, 10)
        assert info.value.retry_after_s == 7
        page = await client.get_feed("Trip", None, 10)
    assert len(page.entities) == 10
    assert fake.slept == [7]


async def test_rate_limit_headers_space_the_calls_of_one_type(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeTime()
    server = local_server(fake)  # one GetFeed a second per type, X-Rate-Limit-Remaining: 0
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http, clock=fake.clock, sleep=fake.sleep)
        page = await client.get_feed("LogRecord", None, 10)
        await client.get_feed("FaultData", None, 10)  # another type: no wait
        assert fake.slept == []
        await client.get_feed("LogRecord", page.to_version, 10)
    assert len(fake.slept) == 1
    assert 0 < fake.slept[0] <= 1 + RESET_MARGIN_S
    assert not any("OverLimit" in key for key in server.calls)  # never refused


async def test_5xx_and_an_unreachable_server_are_told_apart(http: aiohttp.ClientSession) -> None:
    server = local_server()
    server.failures = 1
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http)
        with pytest.raises(ServerError, match="HTTP 503"):
            await client.get_feed("LogRecord", None, 10)
        assert len((await client.get_feed("LogRecord", None, 10)).entities) == 10
    client = MyGeotabClient(source(f"http://127.0.0.1:{free_port()}"), http)
    with pytest.raises(Unreachable):
        await client.get_feed("LogRecord", None, 10)


async def test_from_date_counts_only_without_a_version(http: aiohttp.ClientSession) -> None:
    server = local_server()
    async with serving(server) as url:
        client = MyGeotabClient(source(url), http)
        start = "2026-01-05T06:00:35.000Z"  # entity 5 of each feed happened then
        first = await client.get_feed("LogRecord", None, 3, from_date=start)
        then = await client.get_feed("LogRecord", first.to_version, 3, from_date=start)
    assert first.entities[0]["dateTime"] == start
    assert server.feed_requests[0]["search"] == {"fromDate": start}
    assert server.feed_requests[1]["search"] == {}  # the version wins
    assert then.entities[0]["id"] != first.entities[0]["id"]
    assert [e["id"] for e in first.entities + then.entities] == [
        f"b{0x100000 + i:X}" for i in range(5, 11)
    ]


async def test_device_lookup_by_id(http: aiohttp.ClientSession) -> None:
    async with serving(local_server()) as url:
        client = MyGeotabClient(source(url), http)
        every = await client.get_devices()
        one = await client.get_devices("b2")
    assert [d["id"] for d in every] == ["b1", "b2", "b3"]
    assert [d["id"] for d in one] == ["b2"]
    assert len(one[0]["vehicleIdentificationNumber"]) == 17
