"""MyGeotab's JSON-RPC API as far as a data-feed client uses it, with its failures on demand.

Calls: `Authenticate`, `GetFeed` (fromVersion, resultsLimit, search.fromDate; versions
are opaque tokens) and `Get` of Device. Results and errors have Geotab's shapes
(`{"result": ..., "jsonrpc": "2.0"}`, `{"error": {"code": -32000, "data": {"type": ...}}}`).
What Geotab documents, it does too: sessions that expire (`InvalidUserException`),
Authenticate limited to 10 a minute per user and GetFeed to one call a second per type
(`OverLimitException` with `Retry-After`; `X-Rate-Limit-*` headers on success), the
`path` of another server after Authenticate, results capped at 50,000. Faults on
demand: a burst of `OverLimitException`, 5xx answers, every session expired at once.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from localgeotab.fleet import FEEDS, Fleet

MAX_RESULTS = 50_000
AUTHENTICATIONS_PER_MINUTE = 10
TOKEN_MASK = 0x5DEECE66D5DEECE6  # versions look opaque, as Geotab's are


@dataclass(frozen=True)
class Credentials:
    database: str = "demo"
    username: str = "demo@example.com"
    password: str = "demo-password"  # noqa: S105 - the local server's own


class RpcError(Exception):
    def __init__(self, kind: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


class MyGeotab:
    """The server's state; `app()` answers for it (several apps may share it: redirects)."""

    def __init__(
        self,
        fleet: Fleet,
        credentials: Credentials = Credentials(),
        *,
        feed_interval_s: float = 1.0,
        session_calls: int | None = None,
        redirect: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fleet = fleet
        self.credentials = credentials
        self.feed_interval_s = feed_interval_s  # 0: GetFeed is not rate limited
        self.session_calls = session_calls  # a session expires after this many calls
        self.redirect = redirect  # the `path` Authenticate answers (host[:port])
        self._clock = clock
        self._sessions: dict[str, int] = {}
        self._last_feed_call: dict[str, float] = {}
        self._authentications: deque[float] = deque()
        self.over_limit_burst = 0  # the next calls answered OverLimitException
        self.retry_after_s = 1
        self.failures = 0  # the next calls answered with `failure_status`
        self.failure_status = 503
        self.calls: Counter[str] = Counter()  # answered calls by method and outcome
        self.feed_requests: list[dict[str, Any]] = []  # GetFeed params, credentials left out

    def expire_sessions(self) -> None:
        self._sessions.clear()

    def app(self, *, redirected: bool = False) -> web.Application:
        """The API at POST /apiv1. `redirected`: the server `redirect` names."""

        async def apiv1(request: web.Request) -> web.StreamResponse:
            if self.failures > 0:
                self.failures -= 1
                self.calls["failure"] += 1
                return web.Response(status=self.failure_status, text="Service Unavailable")
            try:
                call = orjson.loads(await request.read())
                method, params = call["method"], call.get("params") or {}
            except (orjson.JSONDecodeError, KeyError, TypeError):
                return _error(RpcError("JsonSerializerException", "Invalid JSON-RPC request"))
            headers: dict[str, str] = {}
            try:
                result = self._answer(method, params, headers, redirected)
            except RpcError as exc:
                self.calls[f"{method}:{exc.kind}"] += 1
                return _error(exc)
            self.calls[method] += 1
            body = orjson.dumps({"result": result, "jsonrpc": "2.0"})
            return web.Response(body=body, content_type="application/json", headers=headers)

        app = web.Application()
        app.router.add_post("/apiv1", apiv1)
        app.router.add_post("/apiv1/", apiv1)
        return app

    def _answer(
        self, method: str, params: dict[str, Any], headers: dict[str, str], redirected: bool
    ) -> Any:
        if self.over_limit_burst > 0:
            self.over_limit_burst -= 1
            raise RpcError(
                "OverLimitException",
                "API calls quota exceeded. Maximum admitted 1 per 1s.",
                self.retry_after_s,
            )
        if method == "Authenticate":
            return self._authenticate(params)
        if self.redirect is not None and not redirected:
            raise RpcError(
                "DbUnavailableException",
                f"Database '{self.credentials.database}' is not on this server",
            )
        self._session(params.get("credentials"))
        if method == "GetFeed":
            return self._get_feed(params, headers)
        if method == "Get":
            return self._get(params)
        raise RpcError("MissingMethodException", f"The method '{method}' could not be found")

    def _authenticate(self, params: dict[str, Any]) -> dict[str, Any]:
        now = self._clock()
        while self._authentications and now - self._authentications[0] >= 60:
            self._authentications.popleft()
        if len(self._authentications) >= AUTHENTICATIONS_PER_MINUTE:
            wait = math.ceil(60 - (now - self._authentications[0]))
            raise RpcError(
                "OverLimitException", "API calls quota exceeded. Maximum admitted 10 per 1m.", wait
            )
        self._authentications.append(now)  # failures count too
        given = Credentials(
            str(params.get("database")), str(params.get("userName")), str(params.get("password"))
        )
        if given != self.credentials:
            raise RpcError("InvalidUserException", "Incorrect login credentials")
        session = uuid.uuid4().hex
        self._sessions[session] = self.session_calls if self.session_calls is not None else -1
        return {
            "credentials": {
                "database": self.credentials.database,
                "userName": self.credentials.username,
                "sessionId": session,
            },
            "path": self.redirect or "ThisServer",
        }

    def _session(self, credentials: Any) -> None:
        if not isinstance(credentials, dict) or credentials.get("database") != (
            self.credentials.database
        ):
            raise RpcError("InvalidUserException", "Incorrect login credentials")
        session = credentials.get("sessionId")
        left = self._sessions.get(session) if isinstance(session, str) else None
        if left is None or left == 0:
            self._sessions.pop(session, None)  # type: ignore[arg-type]
            raise RpcError("InvalidUserException", "Incorrect login credentials")
        if left > 0:
            self._sessions[session] = left - 1  # type: ignore[index]

    def _get_feed(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        feed = params.get("typeName")
        if feed not in FEEDS:
            raise RpcError("ArgumentException", f"Type '{feed}' has no feed on this server")
        self._rate_limit(feed, headers)
        limit = _limit(params.get("resultsLimit"), capped=True)
        version = params.get("fromVersion")
        search = params.get("search") or {}
        self.feed_requests.append(
            {"typeName": feed, "fromVersion": version, "search": search, "resultsLimit": limit}
        )
        if version is not None:
            start = _index(version)  # a version wins: fromDate is ignored
        elif search.get("fromDate"):
            start = self.fleet.first_at_or_after(feed, _date(search["fromDate"]))
        else:
            start = 0
        end = max(start, min(self.fleet.available(feed), start + limit))
        data = [self.fleet.entity(feed, i) for i in range(start, end)]
        return {"data": data, "toVersion": _token(end)}

    def _rate_limit(self, feed: str, headers: dict[str, str]) -> None:
        if self.feed_interval_s <= 0:
            return
        now = self._clock()
        last = self._last_feed_call.get(feed)
        if last is not None and now - last < self.feed_interval_s:
            raise RpcError(
                "OverLimitException",
                "API calls quota exceeded. Maximum admitted 1 per 1s.",
                math.ceil(self.feed_interval_s - (now - last)),
            )
        self._last_feed_call[feed] = now
        reset = datetime.now(UTC) + timedelta(seconds=self.feed_interval_s)
        headers["X-Rate-Limit-Limit"] = "1s"
        headers["X-Rate-Limit-Remaining"] = "0"
        headers["X-Rate-Limit-Reset"] = reset.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"

    def _get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if params.get("typeName") != "Device":
            raise RpcError("ArgumentException", "Only Device can be read from this server")
        limit = _limit(params.get("resultsLimit"), capped=False)
        wanted = (params.get("search") or {}).get("id")
        devices = [self.fleet.entity("Device", i) for i in range(self.fleet.devices)]
        return [d for d in devices if wanted is None or d["id"] == wanted][:limit]


def _limit(value: Any, *, capped: bool) -> int:
    if value is None:
        return MAX_RESULTS
    if not isinstance(value, int) or value < 1:
        raise RpcError("ArgumentException", "resultsLimit must be a positive number")
    if value > MAX_RESULTS and not capped:
        raise RpcError(
            "OverLimitException",
            f"Supplied results limit ({value}) exceeds maximum limit ({MAX_RESULTS}).",
        )
    return min(value, MAX_RESULTS)


def _token(index: int) -> str:
    return f"{index ^ TOKEN_MASK:016x}"


def _index(token: Any) -> int:
    try:
        return int(str(token), 16) ^ TOKEN_MASK
    except ValueError:
        raise RpcError("ArgumentException", f"Invalid version '{token}'") from None


def _date(text: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise RpcError("ArgumentException", f"Invalid date '{text}'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error(exc: RpcError) -> web.Response:
    body = {
        "error": {
            "code": -32000,
            "data": {"id": str(uuid.uuid4()), "type": exc.kind, "requestIndex": 0},
            "message": exc.message,
        },
        "jsonrpc": "2.0",
    }
    headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=headers)
