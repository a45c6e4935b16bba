"""The signed request mix and the marked payloads of the benchmark."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pytest
from multidict import CIMultiDict

from bench import payloads
from bench.loadtest import _takes_part
from bench.mix import (
    BENCH_SOURCES,
    BODIES,
    SAMPLES,
    known_entries,
    sample_bodies,
    signed_body,
    signed_mix,
    small_body,
    sources_toml,
    typical_body,
    write_sources,
)
from tests.support.providers import VERIFIERS, verifier_for


def test_only_providers_the_ingress_knows_are_kept() -> None:
    entries = known_entries(BENCH_SOURCES, VERIFIERS)
    assert entries
    assert {e["provider"] for e in entries} <= set(VERIFIERS)
    every = {e["provider"] for e in tomllib.loads(BENCH_SOURCES.read_text())["sources"]}
    assert set(VERIFIERS) <= every, "bench/sources.toml lacks a source for a known provider"


def test_written_sources_read_back_the_same() -> None:
    entries = known_entries(BENCH_SOURCES, VERIFIERS)
    assert tomllib.loads(sources_toml(entries))["sources"] == entries


def test_every_request_of_the_mix_verifies(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources.toml")
    now = time.time()
    mix = signed_mix(sources, now)
    verifiers = {name: verifier_for(source) for name, source in sources.items()}
    for request in mix:
        assert request.path == f"/webhooks/{request.source}"
        verifier = verifiers[request.source]
        headers = CIMultiDict(request.headers)
        verifier.verify(headers, request.body, now)
        assert verifier.challenge(headers, request.body) is None
    assert {r.source for r in mix} == set(sources)


def test_sources_take_turns_in_the_mix(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources.toml")
    mix = signed_mix(sources, time.time())
    count = len(sources)
    assert len(mix) % count == 0
    for start in range(0, len(mix), count):
        assert {r.source for r in mix[start : start + count]} == set(sources)


def test_a_marker_is_found_again_only_for_its_run() -> None:
    body = next(payloads.bodies("run1", 1, start=42))
    assert payloads.find_marker(body, "run1") == 42
    assert payloads.find_marker(body, "run2") is None
    assert payloads.find_marker(b'{"trip": {"key": "sample"}}', "run1") is None


def test_marked_bodies_are_distinct_trips() -> None:
    bodies = list(payloads.bodies("r", 4))
    assert len(set(bodies)) == 4
    events = [json.loads(b)["event"] for b in bodies]
    assert events == ["trip_start", "trip_end", "trip_start", "trip_end"]
    assert json.loads(bodies[1])["trip"]["key"] == payloads.marker("r", 1)


def test_raw_records_look_like_the_ingress_wrote_them() -> None:
    records = list(payloads.raw_records("r", 3))
    assert len({key for key, _, _ in records}) == 3
    for _, _, headers in records:
        names = {name for name, _ in headers}
        assert {"fleetwire-source", "fleetwire-provider", "fleetwire-received-at"} <= names


def test_the_sized_bodies_are_a_small_and_a_typical_zubie_delivery() -> None:
    small, typical = small_body(), typical_body()
    assert len(small) < 400 < len(typical)
    assert typical == (SAMPLES / "zubie" / "trip_end.json").read_bytes()
    assert json.loads(small) in [json.loads(b) for b in sample_bodies("zubie")]


def test_a_sized_body_is_signed_for_a_zubie_source(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources.toml")
    now = time.time()
    for make in BODIES.values():
        (request,) = signed_body(sources, make(), now)
        verifier = verifier_for(sources[request.source])
        assert verifier.source.provider == "zubie"
        verifier.verify(CIMultiDict(request.headers), request.body, now)


@pytest.mark.parametrize(
    ("server", "body", "takes_part"),
    [
        ("peer", "mix", True),
        ("peer", "typical", False),
        ("compiled", "mix", False),
        ("compiled", "small", True),
        ("ingress", "mix", True),
        ("ingress", "typical", True),
    ],
)
def test_each_peer_gets_the_load_it_can_verify(server: str, body: str, takes_part: bool) -> None:
    assert _takes_part(server, body) is takes_part
