"""The event loop every fleetwire process runs on: uvloop where it is installed.

uvloop roughly halves the loop's share of the ingress's CPU, but it is a C extension
whose wheels arrive for a new Python (or a platform such as Windows) later than
CPython itself, or never. Without it fleetwire runs on asyncio's own loop, slower but
correct, and says so once at start.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def runner() -> Callable[[Coroutine[Any, Any, T]], T]:
    """`uvloop.run` if uvloop can be imported here, else `asyncio.run`."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        log.warning("uvloop is not available on this Python; running on asyncio's own loop")
        return asyncio.run
    run: Callable[[Coroutine[Any, Any, T]], T] = uvloop.run
    return run


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return runner()(coroutine)
