"""MyGeotab's JSON-RPC API, as a data-feed client calls it: a thin shell over aiohttp.

One client per pull source. It authenticates once and reuses the session, authenticates
again when a call answers `InvalidUserException` (the session expired), sends every call
to the server `Authenticate` named in `path` (`ThisServer`: the same host), and keeps to
Geotab's limits: `Retry-After` of an `OverLimitException`, `X-Rate-Limit-*` headers of
successful calls, and at most 10 authentications a minute. Other failures are raised as a
`GeotabError` whose `kind` is a short label; the poller decides when to try again.

The password is only ever in the body of `Authenticate`: never in an error, a log line
or a repr.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from fleetwire.errors import FleetwireError
from poll.sources import PullSource

log = logging.getLogger(__name__)

THIS_SERVER = "ThisServer"
SESSION_ERROR = "InvalidUserException"
OVER_LIMIT = "OverLimitException"
DATABASE_ERROR = "DbUnavailableException"
AUTHENTICATIONS_PER_MINUTE = 10  # Geotab's limit per user, failed attempts included
DEFAULT_RETRY_AFTER_S = 5.0
MAX_RATE_WAIT_S = 3600.0
# Added to a wait for X-Rate-Limit-Reset: our clock and Geotab's are not the same clock.
RESET_MARGIN_S = 0.1
MAX_RESULTS = 50_000


class GeotabError(FleetwireError):
    """A call that did not succeed. `kind` is a bounded label for metrics."""

    kind = "call-refused"


class LoginRefused(GeotabError):
    """Authenticate refused the user, password or database: retrying soon will not help."""

    kind = "login-refused"


class OverLimit(GeotabError):
    kind = "over-limit"

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ServerError(GeotabError):
    kind = "server-error"


class Unreachable(GeotabError):
    kind = "unreachable"


@dataclass(frozen=True)
class FeedPage:
    entities: list[dict[str, Any]]
    to_version: str


Sleep = Callable[[float], Awaitable[None]]


class MyGeotabClient:
    def __init__(
        self,
        source: PullSource,
        http: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._source = source
        self._http = http
        self._clock = clock
        self._sleep = sleep
        self._server = source.server  # where calls go: the `path` of the last Authenticate
        self._credentials: dict[str, Any] | None = None
        self._authentications: deque[float] = deque()
        self._not_before: dict[str, float] = {}  # per method and type: Geotab's rate limits
        self.authentications = 0

    @property
    def authenticated(self) -> bool:
        return self._credentials is not None

    async def authenticate(self) -> None:
        """A new session; raise LoginRefused when Geotab will not have these credentials."""
        self._credentials = None
        self._server = self._source.server
        await self._keep_authentication_limit()
        params = {
            "database": self._source.database,
            "userName": self._source.username.value,
            "password": self._source.password.value,
        }
        self.authentications += 1
        try:
            result, _ = await self._post("Authenticate", params, "Authenticate")
        except _RpcError as exc:
            if exc.type in (SESSION_ERROR, DATABASE_ERROR):
                raise LoginRefused(
                    f"MyGeotab at {self._source.server} refused the login to database "
                    f"{self._source.database!r} ({exc.type}: {exc.message}); check the "
                    "source's username, password and database"
                ) from None
            raise self._failure(exc, "Authenticate") from None
        credentials = result.get("credentials") if isinstance(result, dict) else None
        if not isinstance(credentials, dict) or "sessionId" not in credentials:
            raise ServerError(f"MyGeotab at {self._source.server}: Authenticate gave no session")
        self._credentials = credentials
        path = result.get("path")
        if isinstance(path, str) and path and path != THIS_SERVER:
            self._server = _redirected(self._source.server, path)
            log.info(
                "MyGeotab sends source %s to %s",
                self._source.name,
                self._server,
                extra={"source": self._source.name},
            )

    async def get_feed(
        self,
        type_name: str,
        from_version: str | None,
        results_limit: int,
        from_date: str | None = None,
    ) -> FeedPage:
        params: dict[str, Any] = {
            "typeName": type_name,
            "fromVersion": from_version,
            "resultsLimit": results_limit,
        }
        if from_version is None and from_date is not None:
            params["search"] = {"fromDate": from_date}  # ignored once a version is given
        result = await self.call("GetFeed", params)
        data = result.get("data") if isinstance(result, dict) else None
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise ServerError(f"MyGeotab GetFeed {type_name}: an answer without a list of entities")
        to_version = result.get("toVersion")
        if not isinstance(to_version, str | int) or to_version == "":
            raise ServerError(f"MyGeotab GetFeed {type_name}: an answer without toVersion")
        return FeedPage(data, str(to_version))

    async def get_devices(self, device_id: str | None = None) -> list[dict[str, Any]]:
        """Every device (up to Get's limit), or the one with `device_id`."""
        params: dict[str, Any] = {"typeName": "Device", "resultsLimit": MAX_RESULTS}
        if device_id is not None:
            params["search"] = {"id": device_id}
        result = await self.call("Get", params)
        if not isinstance(result, list):
            raise ServerError("MyGeotab Get Device: the answer is not a list")
        return [d for d in result if isinstance(d, dict)]

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """One call with the session; a session that expired is renewed once."""
        limit_key = f"{method}:{params.get('typeName', '')}"
        for attempt in (1, 2):
            if self._credentials is None:
                await self.authenticate()
            try:
                result, _ = await self._post(
                    method, {**params, "credentials": self._credentials}, limit_key
                )
            except _RpcError as exc:
                if exc.type == SESSION_ERROR and attempt == 1:
                    log.info(
                        "MyGeotab session of source %s expired; authenticating again",
                        self._source.name,
                        extra={"source": self._source.name},
                    )
                    self._credentials = None
                    continue
                raise self._failure(exc, method) from None
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post(self, method: str, params: dict[str, Any], limit_key: str) -> tuple[Any, Any]:
        wait = self._not_before.get(limit_key, 0.0) - self._clock()
        if wait > 0:
            await self._sleep(wait)
        body = orjson.dumps({"method": method, "params": params, "jsonrpc": "2.0", "id": 1})
        try:
            async with self._http.post(
                f"{self._server}/apiv1",
                data=body,
                headers={"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"},
            ) as response:
                raw = await response.read()
                status = response.status
                headers = response.headers
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Unreachable(
                f"MyGeotab at {self._server} unreachable ({type(exc).__name__}: {exc})"
            ) from None
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            error = _RpcError.of(answer["error"], headers.get("Retry-After"))
            if error.type == OVER_LIMIT:
                self._not_before[limit_key] = self._clock() + error.retry_after_s
            raise error
        if status >= 500 or not isinstance(answer, dict) or "result" not in answer:
            raise ServerError(f"MyGeotab at {self._server} answered HTTP {status} to {method}")
        self._note_rate_limit(limit_key, headers)
        return answer["result"], headers

    def _note_rate_limit(self, limit_key: str, headers: Any) -> None:
        """No call that Geotab would refuse: wait for the reset once none remain."""
        if headers.get("X-Rate-Limit-Remaining", "").strip() != "0":
            return
        try:
            reset = datetime.fromisoformat(headers.get("X-Rate-Limit-Reset", "").strip())
        except ValueError:
            return
        if reset.tzinfo is None:
            reset = reset.replace(tzinfo=UTC)
        wait = (reset - datetime.now(UTC)).total_seconds() + RESET_MARGIN_S
        wait = min(MAX_RATE_WAIT_S, wait)
        if wait > 0:
            self._not_before[limit_key] = self._clock() + wait

    async def _keep_authentication_limit(self) -> None:
        now = self._clock()
        while self._authentications and now - self._authentications[0] >= 60:
            self._authentications.popleft()
        if len(self._authentications) >= AUTHENTICATIONS_PER_MINUTE:
            await self._sleep(60 - (now - self._authentications[0]))
        self._authentications.append(self._clock())

    def _failure(self, exc: _RpcError, method: str) -> GeotabError:
        text = f"MyGeotab {method} for source {self._source.name!r}: {exc.type}: {exc.message}"
        if exc.type == OVER_LIMIT:
            return OverLimit(text, exc.retry_after_s)
        if exc.type in (SESSION_ERROR, DATABASE_ERROR):
            self._credentials = None  # whatever comes next starts with a new login
            return LoginRefused(text)
        return GeotabError(text)


class _RpcError(Exception):
    def __init__(self, type_: str, message: str, retry_after_s: float) -> None:
        super().__init__(f"{type_}: {message}")
        self.type = type_
        self.message = message
        self.retry_after_s = retry_after_s

    @classmethod
    def of(cls, error: dict[str, Any], retry_after: str | None) -> _RpcError:
        data = error.get("data")
        type_ = data.get("type") if isinstance(data, dict) else None
        message = error.get("message")
        return cls(
            str(type_ or "UnknownError"),
            str(message or "")[:300],
            _seconds(retry_after),
        )


def _seconds(retry_after: str | None) -> float:
    try:
        return max(0.0, float(retry_after)) if retry_after else DEFAULT_RETRY_AFTER_S
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def _redirected(server: str, path: str) -> str:
    """The base URL of `path` (a host, as Geotab sends it), keeping `server`'s scheme."""
    if "://" in path:
        return path.rstrip("/")
    scheme = server.split("://", 1)[0]
    return f"{scheme}://{path.strip('/')}"
