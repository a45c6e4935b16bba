"""Listener ports are picked where outgoing connections cannot take them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localkafka import ports


def test_the_kernel_range_is_read_from_proc(tmp_path: Path) -> None:
    path = tmp_path / "range"
    path.write_text("40000\t50000\n")
    assert ports.ephemeral_range(path) == (40000, 50000)


@pytest.mark.parametrize("content", [None, "", "garbage", "1 2 3"])
def test_an_unreadable_range_means_the_linux_default(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "range"
    if content is not None:
        path.write_text(content)
    assert ports.ephemeral_range(path) == ports.LINUX_DEFAULT_EPHEMERAL


@given(low=st.integers(1024, 65535), width=st.integers(0, 65535))
def test_candidates_avoid_the_ephemeral_range_where_it_leaves_room(low: int, width: int) -> None:
    high = min(65535, low + width)
    pool = ports.candidates((low, high))
    assert pool.start >= ports.LOWEST
    assert pool.stop <= 65536
    room = max(low - ports.LOWEST, 65535 - max(high, ports.LOWEST - 1))
    if room >= ports.MIN_CANDIDATES:
        assert len(pool) >= ports.MIN_CANDIDATES
        assert pool.stop <= low or pool.start > high
    else:
        assert pool == range(ports.LOWEST, 65536)


def test_free_ports_are_distinct_bindable_and_below_the_range() -> None:
    low, _ = ports.ephemeral_range()
    picked = ports.free_ports(6)
    assert len(set(picked)) == 6
    assert all(ports.LOWEST <= port < low for port in picked)
    for port in picked:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen()


def test_a_port_held_by_an_outgoing_connection_is_not_bindable() -> None:
    # The trap a connect() probe falls into: refused, so "free", yet no listener can bind it.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            local_port = client.getsockname()[1]
            assert not ports.bindable(local_port)
        assert not ports.bindable(server.getsockname()[1])


def test_a_closed_listeners_port_is_bindable_again() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
    assert ports.bindable(port)
