"""The wrk script generator and the parsing of its result line."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.mix import SignedRequest
from bench.wrk import RESULT_MARK, lua_request, lua_script, lua_string, parse_result

LUA_ESCAPE = re.compile(rb"\\([0-9]{3}|.)", re.DOTALL)


def lua_decode(literal: str) -> bytes:
    """What Lua makes of a double-quoted literal using only 3-digit and one-character escapes."""
    assert literal.startswith('"')
    assert literal.endswith('"')
    inner = literal[1:-1].encode("ascii")

    def unescape(found: re.Match[bytes]) -> bytes:
        escaped = found.group(1)
        return bytes([int(escaped)]) if escaped.isdigit() else escaped

    return LUA_ESCAPE.sub(unescape, inner)


@given(st.binary(max_size=300))
def test_lua_string_holds_exactly_the_bytes(data: bytes) -> None:
    literal = lua_string(data)
    assert all(0x20 <= ord(c) < 0x7F for c in literal)
    assert '"' not in literal[1:-1].replace('\\"', "")
    assert lua_decode(literal) == data


def test_digits_after_an_escape_stay_digits() -> None:
    assert lua_decode(lua_string(b"\n123")) == b"\n123"


def _request(path: str = "/webhooks/zubie", body: bytes = b'{"a": "\\u00e9\n"}') -> SignedRequest:
    return SignedRequest("zubie", path, {"Zubie-Signature": "c2ln", "Content-Type": "x"}, body)


def test_a_request_carries_path_headers_and_body() -> None:
    line = lua_request(_request())
    assert lua_string("/webhooks/zubie") in line
    assert f"[{lua_string('Zubie-Signature')}] = {lua_string('c2ln')}" in line
    assert lua_string(b'{"a": "\\u00e9\n"}') in line


def test_full_speed_script_has_no_pacing() -> None:
    script = lua_script([_request(), _request("/webhooks/other")])
    assert "2 pre-signed requests" in script
    assert "function request()" in script
    assert "function done(" in script
    assert "function delay()" not in script


def test_paced_script_spaces_sends_by_the_rate() -> None:
    script = lua_script([_request()], rate_per_thread=400)
    assert "function delay()" in script
    assert f"local interval_us = {1e6 / 400!r}" in script


@pytest.mark.parametrize("rate", [0, -5])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        lua_script([_request()], rate_per_thread=rate)


def test_a_script_needs_requests() -> None:
    with pytest.raises(ValueError, match="at least one"):
        lua_script([])


def test_the_result_line_is_parsed_into_milliseconds() -> None:
    line = {
        "requests": 3000,
        "duration_us": 1_500_000,
        "bytes": 1,
        "errors": {"connect": 0, "read": 1, "write": 0, "status": 4, "timeout": 2},
        "latency_us": {
            "min": 100,
            "mean": 1500.5,
            "max": 9000,
            "p50": 1200,
            "p90": 2000,
            "p99": 5000,
            "p999": 8000,
        },
    }
    output = f"Running 2s test\n{RESULT_MARK}{json.dumps(line)}\n"
    result = parse_result(output)
    assert result.requests == 3000
    assert result.rps == pytest.approx(2000)
    assert result.error_count == 7
    assert result.latency_ms["p99"] == pytest.approx(5.0)
    assert result.latency_ms["p999"] == pytest.approx(8.0)


def test_output_without_a_result_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="no result line"):
        parse_result("unable to connect to 127.0.0.1:1 Connection refused\n")
