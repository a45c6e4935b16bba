"""Waiting until Kafka accepts this process, and saying why not meanwhile, once per cause.

The ingress and the processors start before Kafka has them (a broker still starting, a
password not yet rotated in): they keep trying, with one backoff, and report each new
reason once, at ERROR when Kafka refused the login or the rights, else at WARNING.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fleetwire.connection import KafkaConnection
from fleetwire.diagnosis import Failure, diagnose

T = TypeVar("T")

BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# A client that could not start by then is given up and another one tried.
START_TIMEOUT_S = 30.0


class Admission:
    """Whether Kafka accepts `who` (the ingress, the processor), for its readiness too."""

    def __init__(self, connection: KafkaConnection, who: str, log: logging.Logger) -> None:
        self._connection = connection
        self._who = who
        self._log = log  # the process's own logger: its lines name the process
        self.failure: Failure | None = None

    async def connect(
        self, start: Callable[[], Awaitable[T]], stop: asyncio.Event | None = None
    ) -> T | None:
        """`await start()` once Kafka takes it; None if `stop` was set first.

        `start` builds its clients anew on each attempt (a rotated password, key or token
        file is read again) and closes what it built when it fails.
        """
        attempt = 0
        while stop is None or not stop.is_set():
            delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            attempt += 1
            # Asked first: a client whose login is refused may wait for ever in start()
            # (an expired token gets empty metadata, not an error).
            failure = await diagnose(self._connection)
            if failure is not None and failure.refused:
                self.note(failure)
                await _pause(delay, stop)
                continue
            try:
                started = await start()
            except Exception as exc:  # any start failure is retried (a broken file too)
                await self._report(exc, delay)
                await _pause(delay, stop)
                continue
            if self.failure is not None:
                self._log.info(
                    "kafka accepts this %s again: %s", self._who, self._connection.describe()
                )
            self.failure = None
            return started
        return None

    async def _report(self, exc: Exception, delay: float) -> None:
        failure = await diagnose(self._connection)
        if failure is None:
            self._log.warning(
                "kafka %s not reachable (%s); retrying in %.1fs",
                self._connection.bootstrap_servers,
                type(exc).__name__,
                delay,
            )
        self.note(failure)

    def note(self, failure: Failure | None) -> None:
        """Say why Kafka will not have us, once per cause: at ERROR when it refused us."""
        if failure is not None and (self.failure is None or failure != self.failure):
            level = logging.ERROR if failure.refused else logging.WARNING
            self._log.log(level, "%s; retrying until that is fixed", failure.line())
        self.failure = failure


async def _pause(delay: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(delay)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


async def started_within(start: Awaitable[None], close: Callable[[], Awaitable[None]]) -> None:
    """Start a client within START_TIMEOUT_S; close it if it did not."""
    try:
        await asyncio.wait_for(start, START_TIMEOUT_S)
    except BaseException:
        await close()
        raise
