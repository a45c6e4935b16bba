"""The processes run on uvloop where it exists and on asyncio's loop where it does not."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

from fleetwire import eventloop


async def loop_class_name() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_runs_the_coroutine_where_it_is_installed() -> None:
    pytest.importorskip("uvloop")
    assert eventloop.run(loop_class_name()).startswith("uvloop")


def test_without_uvloop_asyncio_runs_it_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # None in sys.modules makes every import of the name fail, as on a Python without a wheel.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    with caplog.at_level(logging.WARNING, logger="fleetwire.eventloop"):
        module = eventloop.run(loop_class_name())
    assert module.startswith("asyncio")
    assert "uvloop is not available" in caplog.text
