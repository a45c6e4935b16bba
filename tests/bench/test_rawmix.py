"""The drain's raw-record mix: every provider with a normalizer, in proportion."""

from __future__ import annotations

import time
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from bench import rawmix
from bench.mix import SAMPLES, sample_bodies, write_sources
from fleetwire.errors import Ping, RejectedRecord
from ingress.sources import Source
from tests.support.providers import NORMALIZERS, VERIFIERS, verifier_for


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    return write_sources(tmp_path_factory.mktemp("bench") / "sources.toml")


def test_every_webhook_provider_with_a_normalizer_and_samples_is_in_the_mix(
    sources: dict[str, Source],
) -> None:
    by_provider = rawmix.samples(sources, list(NORMALIZERS))
    with_samples = {p for p in NORMALIZERS if p in VERIFIERS and sample_bodies(p, SAMPLES)}
    assert set(by_provider) == with_samples
    assert len(by_provider) >= 2


def test_handshakes_are_left_out_and_no_sample_is_rejected(sources: dict[str, Source]) -> None:
    by_provider = rawmix.samples(sources, list(NORMALIZERS))
    verifiers = {name: verifier_for(source) for name, source in sources.items()}
    for found in by_provider.values():
        for sample in found:
            verifier = verifiers[sample.source]
            headers = CIMultiDict(verifier.sign(sample.body, time.time()))
            assert verifier.challenge(headers, sample.body) is None
            events = rawmix.events_of(sample)
            assert events is not None, f"{sample.provider}/{sample.name} is rejected"


def sample(provider: str, index: int) -> rawmix.Sample:
    return rawmix.Sample(provider, provider, f"{index}.json", b"{}" * (index + 1), ())


providers = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]), st.integers(min_value=1, max_value=7), min_size=1
)


@given(providers)
def test_providers_weigh_the_same_and_every_sample_comes(counts: dict[str, int]) -> None:
    by_provider = {p: [sample(p, i) for i in range(n)] for p, n in counts.items()}
    period = rawmix.cycle(by_provider)
    per_provider = Counter(s.provider for s in period)
    assert set(per_provider.values()) == {max(counts.values())}
    assert {(s.provider, s.name) for s in period} == {
        (p, s.name) for p, found in by_provider.items() for s in found
    }


@given(providers, st.integers(min_value=1, max_value=500))
def test_the_described_mix_adds_up(counts: dict[str, int], records: int) -> None:
    period = rawmix.cycle({p: [sample(p, i) for i in range(n)] for p, n in counts.items()})
    described = rawmix.describe(period, records, lambda s: 2 if s.provider == "a" else 1)
    shown = described["providers"]
    assert sum(e["records"] for e in shown.values()) == records == described["records"]
    assert sum(e["share"] for e in shown.values()) == pytest.approx(1.0, abs=0.01)
    generated = list(rawmix.raw_records(period, "r", records, lambda p: p))
    sizes = [len(value) for _, (_, value, _) in generated]
    assert described["avg_body_bytes"] == pytest.approx(sum(sizes) / records, abs=0.05)
    a_share = sum(1 for topic, _ in generated if topic == "a") / records
    assert described["events_per_record"] == pytest.approx(1 + a_share, abs=0.001)


def test_rejected_samples_count_no_events() -> None:
    period = [sample("a", 0), sample("b", 0)]
    described = rawmix.describe(period, 10, lambda s: None if s.provider == "b" else 3)
    assert described["providers"]["b"]["rejected"] == 5
    assert described["events_per_record"] == pytest.approx(1.5)


def test_raw_records_carry_what_the_ingress_writes_with_a_key_each(
    sources: dict[str, Source],
) -> None:
    period = rawmix.cycle(rawmix.samples(sources, list(NORMALIZERS)))
    records = list(rawmix.raw_records(period, "run1", 2 * len(period), lambda p: f"raw.{p}"))
    assert len({key for _, (key, _, _) in records}) == len(records)
    for topic, (_, value, headers) in records:
        names = dict(headers)
        provider = names["fleetwire-provider"].decode()
        assert topic == f"raw.{provider}"
        assert value in sample_bodies(provider)
        assert names["traceparent"].startswith(b"00-")
        assert {"fleetwire-source", "fleetwire-received-at", "fleetwire-request-id"} <= set(names)


def test_volume_keeps_values_apart_from_keys_and_headers() -> None:
    volume = rawmix.Volume().add((b"key", b"value!", [("h", b"vv")]))
    assert (volume.records, volume.value_bytes, volume.other_bytes) == (1, 6, 6)
    assert volume.total_bytes == 12


def test_a_ping_makes_no_event_and_a_rejection_is_a_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def ping(_: object) -> list[object]:
        raise Ping("test delivery")

    def reject(_: object) -> list[object]:
        raise RejectedRecord("not a vehicle event")

    registry = SimpleNamespace(normalizers={"a": ping, "b": reject, "c": lambda _: [1, 2]})
    monkeypatch.setattr(rawmix, "installed", lambda: registry)
    assert rawmix.events_of(sample("a", 0)) == 0
    assert rawmix.events_of(sample("b", 0)) is None
    assert rawmix.events_of(sample("c", 0)) == 2
