"""The signed request mix and the marked payloads of the benchmark."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

from multidict import CIMultiDict

from bench import payloads
from bench.mix import BENCH_SOURCES, known_entries, signed_mix, sources_toml, write_sources
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
