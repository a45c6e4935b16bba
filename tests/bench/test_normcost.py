"""Measuring each provider's normalizer: the request document and the measuring process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import normalizers, normcost
from bench.mix import SAMPLES
from bench.services import ROOT


def test_the_request_carries_bodies_and_headers_byte_for_byte() -> None:
    body = bytes(range(256))
    sent = json.loads(normcost.request({"zubie": [(body, [("x-id", b"\xff\x00")])]}, 0.5))
    assert sent["seconds"] == 0.5
    one = sent["providers"]["zubie"][0]
    assert one["body"].encode("latin-1") == body
    assert [(n, v.encode("latin-1")) for n, v in one["headers"]] == [("x-id", b"\xff\x00")]


def test_a_rejection_is_measured_and_counted() -> None:
    def normalize(record: int) -> list[int]:
        if record % 2:
            raise ValueError("odd")
        return [record]

    cost, rejected = normcost._measure(normalize, [0, 1, 2, 3], 0.001)
    assert rejected == 2
    assert cost > 0


def test_the_measuring_process_reports_every_provider_asked_about() -> None:
    body = (SAMPLES / "zubie" / "trip_end.json").read_bytes()
    headers = [("fleetwire-provider", b"zubie"), ("fleetwire-source", b"zubie")]
    asked = normcost.request({"zubie": [(body, headers)], "no-such": [(b"{}", [])]}, 0.01)
    done = subprocess.run(
        [sys.executable, "-P", str(normalizers.SCRIPT)],
        input=asked,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        check=True,
        timeout=120,
    )
    found = json.loads(done.stdout)
    assert set(found) == {"zubie"}  # a provider without a normalizer is left out
    assert found["zubie"]["records"] == 1
    assert found["zubie"]["rejected"] == 0
    assert found["zubie"]["cpu_us_per_record"] > 0


def test_a_failing_measurement_says_why() -> None:
    with pytest.raises(RuntimeError, match="measuring the normalizers failed"):
        normalizers.measure("not json", ROOT)


def test_each_provider_keeps_its_median_round_and_every_rounds_figure() -> None:
    rounds = [
        {
            "a": {"records": 3, "cpu_us_per_record": 30.0},
            "b": {"records": 2, "cpu_us_per_record": 5.0},
        },
        {
            "a": {"records": 3, "cpu_us_per_record": 10.0},
            "b": {"records": 2, "cpu_us_per_record": 7.0},
        },
        {
            "a": {"records": 3, "cpu_us_per_record": 20.0},
            "b": {"records": 2, "cpu_us_per_record": 6.0},
        },
    ]
    merged = normalizers.median_rounds(rounds)
    assert merged["a"] == {
        "records": 3,
        "cpu_us_per_record": 20.0,
        "cpu_us_rounds": [30.0, 10.0, 20.0],
    }
    assert merged["b"]["cpu_us_per_record"] == 6.0
