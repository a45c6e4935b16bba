"""Judging figures against the targets, and rendering them."""

from __future__ import annotations

from typing import Any

import pytest

from bench import report
from bench.drain import figures as drain_figures
from bench.drain import median_round, round_fractions
from bench.endtoend import _figures as e2e_figures
from bench.sender import Sent


def http(rps: float, p99: float = 5.0, errors: int = 0, cpu_us: float = 50.0) -> dict[str, Any]:
    latency = {
        "min": 0.1,
        "mean": 2.0,
        "max": 40.0,
        "p50": 2.0,
        "p90": 4.0,
        "p99": p99,
        "p999": 30.0,
    }
    return {
        "rps": rps,
        "latency_ms": latency,
        "errors": errors,
        "server_cpu_percent": 99.0,
        "server_cpu_us_per_request": cpu_us,
        "loadgen_cpu_percent": 20.0,
        "offered_rps": None,
    }


def regimes(**by_connections: dict[str, Any]) -> dict[str, Any]:
    """The http phase: `c32={"ceiling": ..., "ingress": ...}` and so on."""
    return {"regimes": {name.removeprefix("c"): found for name, found in by_connections.items()}}


def drain(eps: float, transactions: bool = False, cpu_us: float = 40.0) -> dict[str, Any]:
    return {
        "events_per_s": eps,
        "complete": True,
        "records": 100,
        "canonical_readable": 100,
        "transactions_seen": transactions,
        "processor_cpu_percent": 95.0,
        "processor_cpu_us_per_event": cpu_us,
    }


def floor(eps: float, cpu_us: float) -> dict[str, Any]:
    return {
        "events_per_s": eps,
        "complete": True,
        "records": 100,
        "processor_cpu_percent": 90.0,
        "processor_cpu_us_per_event": cpu_us,
        "cpu_us_per_event_median": cpu_us,
    }


def sized(**by_body: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sized bodies of the http phase: `typical={"c32": {"ingress": ...}}`."""
    return {
        body: {
            "bytes": 1382,
            "regimes": {name.removeprefix("c"): found for name, found in by_regime.items()},
        }
        for body, by_regime in by_body.items()
    }


def results(**phases: Any) -> dict[str, Any]:
    return {"date": "today", "run_id": "r", "machine": {}, "phases": phases}


def status(found: list[report.Target], start: str) -> str:
    return next(t.status for t in found if t.name.startswith(start))


@pytest.mark.parametrize(
    ("connections", "ingress_rps", "expected"),
    [(32, 700.0, "met"), (32, 500.0, "not met"), (200, 850.0, "met"), (200, 700.0, "not met")],
)
def test_ingress_is_judged_against_the_ceiling_of_its_regime(
    connections: int, ingress_rps: float, expected: str
) -> None:
    http_phase = regimes(
        **{f"c{connections}": {"ceiling": http(1000), "ingress": http(ingress_rps)}}
    )
    found = report.targets(results(http=http_phase))
    assert status(found, f"ingress requests/s >= {report.INGRESS_SHARE[connections]:.0%}") == (
        expected
    )


@pytest.mark.parametrize(("cpu_us", "expected"), [(60.0, "met"), (70.0, "not met")])
def test_cpu_per_webhook_is_judged_against_the_ceiling(cpu_us: float, expected: str) -> None:
    http_phase = regimes(
        c32={"ceiling": http(1000, cpu_us=50), "ingress": http(700, cpu_us=cpu_us)}
    )
    assert status(report.targets(results(http=http_phase)), "ingress CPU per webhook") == expected


def test_latency_at_80_percent_counts_errors_too() -> None:
    slow = {**http(800, p99=10), "offered_rps": 800.0}
    found = report.targets(results(http={"ingress_at_80_percent": slow}))
    assert status(found, "ingress p99") == "met"
    failing = {**slow, "errors": 3}
    found = report.targets(results(http={"ingress_at_80_percent": failing}))
    assert status(found, "ingress p99") == "not met"


def test_exactly_once_without_transactions_is_not_judged() -> None:
    found = report.targets(
        results(drain_at_least_once=drain(25_000), drain_exactly_once=drain(24_000))
    )
    assert status(found, "processor >= 20,000") == "met"
    assert status(found, "processor >= 35,000") == "not measured"
    found = report.targets(
        results(
            drain_at_least_once=drain(40_000), drain_exactly_once=drain(30_000, transactions=True)
        )
    )
    assert status(found, "processor >= 35,000") == "not met"


def test_missing_phases_are_not_measured_and_still_render() -> None:
    empty = results(http={"regimes": {"32": {"ceiling": {"error": "RuntimeError: no"}}}})
    assert {t.status for t in report.targets(empty)} == {"not measured"}
    assert "failed: RuntimeError: no" in report.table(empty)
    assert "| target |" in report.markdown(empty)


def trace(added_us: float, ingress_us: float) -> dict[str, object]:
    return {
        "added_us_per_request": added_us,
        "share_of_ingress_cpu": added_us / ingress_us,
        "rps_with_to_without": 0.99,
    }


def test_the_trace_cost_is_judged_on_its_share_of_the_ingress_cpu() -> None:
    assert status(report.targets(results(trace=trace(1.5, 100.0))), "trace context") == "met"
    assert status(report.targets(results(trace=trace(4.0, 100.0))), "trace context") == "not met"
    assert status(report.targets(results()), "trace context") == "not measured"


def test_every_phase_has_a_row() -> None:
    e2e = {
        "sent_rps": 1000.0,
        "not_accepted": 0,
        "missing": 0,
        "e2e_ms": {"p50": 20.0, "p99": 90.0, "p999": 120.0, "max": 130.0},
    }
    servers = {"ceiling": http(1000), "ingress": http(900, cpu_us=60), "peer": http(300)}
    full = results(
        http={**regimes(c32=servers, c200=servers), "ingress_at_80_percent": http(720)},
        ingress_2_workers={"full_speed": http(1500)},
        drain_at_least_once=drain(40_000),
        drain_exactly_once=drain(36_000, transactions=True, cpu_us=20.0),
        floor_at_least_once=floor(60_000, 10.0),
        floor_exactly_once=floor(60_000, 10.0),
        rebalance={"pause_s": 3.1, "usual_gap_s": 0.4},
        e2e=e2e,
        trace=trace(1.5, 100.0),
    )
    assert len(report.rows(full)) == 2 * 3 + 8
    assert {t.status for t in report.targets(full)} == {"met"}
    assert report.derived(full)["two_workers_to_one"] == pytest.approx(1500 / 900, abs=1e-3)
    assert report.derived(full)["ingress_to_peer_c32"] == pytest.approx(3.0)


def test_rounds_show_their_spread() -> None:
    rounds = [{"rps": 900.0}, {"rps": 1100.0}]
    servers = {"ceiling": {**http(1000), "rounds": rounds}}
    table = report.table(results(http=regimes(c32=servers)))
    assert "[900 1,100]" in table


def test_drain_rate_runs_from_the_first_commit_to_the_last() -> None:
    samples = [(1.0, 0, 0.0), (2.0, 2000, 0.5), (3.0, 6000, 1.5), (4.0, 10000, 2.5)]
    figures = drain_figures(samples, 10_000)
    assert figures["events_per_s"] == pytest.approx(4000)
    assert figures["events_per_s_incl_startup"] == pytest.approx(2500)
    assert figures["complete"]
    assert figures["processor_cpu_percent"] == pytest.approx(100)


def test_e2e_leaves_out_the_warm_up_and_counts_what_never_arrived() -> None:
    sent = [Sent(i, 200, 10.0 + i / 100, 10.01 + i / 100) for i in range(10)]
    sent.append(Sent(10, 503, 10.1, 10.2))
    seen = {i: 10.01 + i / 100 + 0.05 for i in range(2, 9)}
    figures = e2e_figures(sent, seen, warm=2, rate=100, delivery="exactly-once")
    assert figures["sent"] == 9
    assert figures["not_accepted"] == 1
    assert figures["matched"] == 7
    assert figures["missing"] == 1
    assert figures["e2e_ms"]["p50"] == pytest.approx(50)


def test_a_paced_run_that_fell_short_says_so() -> None:
    slow = {**http(600, p99=10), "offered_rps": 800.0}
    target = next(
        t
        for t in report.targets(results(http={"ingress_at_80_percent": slow}))
        if t.name.startswith("ingress p99")
    )
    assert "only 600 of 800/s answered" in target.note


def test_the_processor_is_judged_as_a_fraction_of_the_floor_of_its_run() -> None:
    floors = {"floor_exactly_once": floor(60_000, 10.0)}
    fast = results(drain_exactly_once=drain(36_000, True, cpu_us=20.0), **floors)
    derived = report.derived(fast)
    assert derived["processor_to_floor_exactly_once"] == pytest.approx(0.6)
    assert derived["processor_cpu_to_floor_exactly_once"] == pytest.approx(2.0)
    assert status(report.targets(fast), "exactly-once drain >= 0.5") == "met"
    assert status(report.targets(fast), "exactly-once CPU per record") == "met"
    slow = results(drain_exactly_once=drain(18_000, True, cpu_us=40.0), **floors)
    assert status(report.targets(slow), "exactly-once drain >= 0.5") == "not met"
    assert status(report.targets(slow), "exactly-once CPU per record") == "not met"


def test_a_fraction_of_the_floor_without_transactions_is_not_judged() -> None:
    found = results(
        drain_exactly_once=drain(50_000, cpu_us=10.0), floor_exactly_once=floor(60_000, 10.0)
    )
    assert status(report.targets(found), "exactly-once drain >= 0.5") == "not measured"
    assert report.derived(found)["processor_to_floor_exactly_once"] == pytest.approx(0.833, 1e-3)


def test_an_earlier_processor_gets_its_own_fraction_of_the_same_floor() -> None:
    found = results(
        drain_at_least_once=drain(30_000, cpu_us=30.0),
        drain_before_at_least_once=drain(20_000, cpu_us=45.0),
        floor_at_least_once=floor(80_000, 15.0),
    )
    derived = report.derived(found)
    assert derived["processor_to_floor_at_least_once"] == pytest.approx(0.375)
    assert derived["processor_before_to_floor_at_least_once"] == pytest.approx(0.25)
    assert derived["processor_before_cpu_to_floor_at_least_once"] == pytest.approx(3.0)
    table = report.table(found)
    assert "processor before, at-least-once" in table
    assert "processor before/floor, at-least-once: records/s 0.25" in table


@pytest.mark.parametrize(("ingress_us", "expected"), [(70.0, "met"), (90.0, "not met")])
def test_the_ingress_is_judged_against_the_compiled_receiver_with_the_typical_body(
    ingress_us: float, expected: str
) -> None:
    servers = {
        "ceiling": http(20_000, cpu_us=38.0),
        "ingress": http(9_000, cpu_us=ingress_us),
        "compiled": http(11_000, cpu_us=37.0),
    }
    found = results(http={"bodies": sized(typical={"c32": servers})})
    derived = report.derived(found)
    assert derived["ingress_cpu_to_compiled_typical_c32"] == pytest.approx(ingress_us / 37.0, 1e-3)
    assert derived["ingress_cpu_to_ceiling_typical_c32"] == pytest.approx(ingress_us / 38.0, 1e-3)
    assert status(report.targets(found), "ingress CPU per request <= 2.0x") == expected
    table = report.table(found)
    assert "32 conn, typical 1,382 B: compiled receiver (Go, 1 core)" in table


def test_a_small_body_is_shown_but_not_judged() -> None:
    servers = {"ingress": http(9_000, cpu_us=70.0), "compiled": http(11_000, cpu_us=30.0)}
    found = results(http={"bodies": sized(small={"c200": servers})})
    assert not [t for t in report.targets(found) if "compiled" in t.name]
    assert "200 conn, small 1,382 B: ingress, 1 worker" in report.table(found)


def test_the_rebalance_pause_is_shown_with_the_usual_gap_or_why_it_is_missing() -> None:
    paused = results(rebalance={"pause_s": 3.14, "usual_gap_s": 0.42})
    assert "pause 3.14 s (usual gap 0.42 s)" in report.table(paused)
    missed = results(rebalance={"pause_s": None, "note": "the drain ended before the join"})
    assert "not measured: the drain ended before the join" in report.table(missed)


def test_the_drain_mix_and_the_normalizers_are_listed() -> None:
    found = results(
        drain_mix={
            "records": 1000,
            "avg_body_bytes": 844.4,
            "events_per_record": 1.023,
            "providers": {
                "azuga": {"share": 0.5, "avg_body_bytes": 373.0, "events_per_record": 1.0},
                "zf-scalar": {"share": 0.5, "avg_body_bytes": 574.0, "events_per_record": 1.114},
            },
        },
        normalizers={
            "providers": {"azuga": {"cpu_us_per_record": 13.08}},
            "before": {"azuga": {"cpu_us_per_record": 15.5}},
        },
    )
    table = report.table(found)
    assert "844 bytes and 1.02 canonical events per record" in table
    assert "zf-scalar 50% (574 B, 1.11 ev)" in table
    assert "azuga 13.1 (before 15.5)" in table
    assert "azuga 13.1 (before 15.5)" in report.markdown(found)


def test_the_median_round_of_a_drain_keeps_every_round_and_the_median_cpu() -> None:
    rounds = [
        {"events_per_s": 30_000.0, "processor_cpu_us_per_event": 30.0},
        {"events_per_s": 20_000.0, "processor_cpu_us_per_event": 45.0},
        {"events_per_s": 25_000.0, "processor_cpu_us_per_event": 20.0},
    ]
    found = median_round(rounds)
    assert found["events_per_s"] == 25_000.0
    assert found["cpu_us_per_event_median"] == 30.0
    assert [r["events_per_s"] for r in found["rounds"]] == [30_000.0, 20_000.0, 25_000.0]
    assert "[30,000 20,000 25,000]" in report.table(results(floor_exactly_once=found))


def test_the_fraction_of_the_floor_pairs_each_round_with_the_floor_of_that_round() -> None:
    processor = [
        {"events_per_s": 5_000.0, "processor_cpu_us_per_event": 60.0},
        {"events_per_s": 6_000.0, "processor_cpu_us_per_event": 50.0},
    ]
    floors = [
        {"events_per_s": 10_000.0, "processor_cpu_us_per_event": 20.0},
        {"events_per_s": 24_000.0, "processor_cpu_us_per_event": 20.0},
    ]
    fractions = round_fractions(processor, floors)
    assert fractions == [
        {"records_per_s": 0.5, "cpu_per_record": 3.0},
        {"records_per_s": 0.25, "cpu_per_record": 2.5},
    ]
    found = results(
        drain_exactly_once={**median_round(processor), "floor_fractions": fractions},
        floor_exactly_once=median_round(floors),
    )
    derived = report.derived(found)
    # the median of the pairs, not the median processor over the median floor (0.5)
    assert derived["processor_to_floor_exactly_once"] == pytest.approx(0.375)
    assert derived["processor_cpu_to_floor_exactly_once"] == pytest.approx(2.75)
    assert "records/s 0.38 [0.50 0.25], CPU per record 2.75x [3.00 2.50]" in report.table(found)


def test_a_round_without_a_rate_has_no_fraction() -> None:
    fractions = round_fractions([{"events_per_s": 0.0}], [{"events_per_s": 9_000.0}])
    assert fractions == [{"records_per_s": None, "cpu_per_record": None}]


def two_processors(
    ratios: list[float], cores: int = 2, differences: list[int] | None = None, shared: bool = True
) -> dict[str, Any]:
    """The figures of two processors, each round paired with the single processor's."""
    pairs = [
        {
            "records_per_s": r - 0.1,
            "cpu_per_record": 1.1,
            "records_per_s_sharing": r,
            "cpu_per_record_sharing": 1.05,
            "canonical_difference": d,
        }
        for r, d in zip(ratios, differences or [0] * len(ratios), strict=True)
    ]
    return {
        **drain(30_000.0, transactions=True, cpu_us=45.0),
        "processes": 2,
        "members": [{"partitions": 27, "assignments": 2}, {"partitions": 27, "assignments": 1}],
        "sharing": {
            "events_per_s": 32_000.0 if shared else 0.0,
            "processor_cpu_us_per_event": 44.0,
        },
        "to_one_process": pairs,
        "cores": cores,
    }


def test_two_processors_are_judged_on_the_median_of_their_rounds_while_sharing() -> None:
    found = results(drain_exactly_once_2_processes=two_processors([1.7, 1.5, 1.65]))
    derived = report.derived(found)
    assert derived["processes_2_to_1_exactly_once"] == pytest.approx(1.65)
    assert derived["processes_2_to_1_whole_drain_exactly_once"] == pytest.approx(1.55)
    assert derived["processes_2_cpu_to_1_exactly_once"] == pytest.approx(1.05)
    assert status(report.targets(found), "2 processors >= 1.6x") == "met"
    slow = results(drain_exactly_once_2_processes=two_processors([1.43]))
    assert status(report.targets(slow), "2 processors >= 1.6x") == "not met"


@pytest.mark.parametrize(
    ("figures", "why"),
    [
        (two_processors([1.7], cores=4), "stated for 2 cores, measured on 4"),
        (two_processors([1.7], differences=[3]), "canonical events minus one processor's"),
        (two_processors([1.7], shared=False), "never drained together"),
    ],
)
def test_two_processors_are_not_judged_off_two_cores_or_with_events_lost(
    figures: dict[str, Any], why: str
) -> None:
    found = report.targets(results(drain_exactly_once_2_processes=figures))
    target = next(t for t in found if t.name.startswith("2 processors"))
    assert target.status == "not measured"
    assert why in target.note


def test_the_table_shows_two_processors_with_their_partitions_and_cores() -> None:
    found = results(
        drain_exactly_once=drain(18_000, True),
        drain_exactly_once_2_processes=two_processors([1.7, 1.5]),
    )
    table = report.table(found)
    assert "2 processors, exactly-once, 2 cores (partitions 27+27)" in table
    assert "2 processors, while all held partitions" in table
    assert "while all held partitions: records/s 1.60 [1.70 1.50], CPU per record 1.05x" in table
    assert "canonical events minus 1 processor's +0 +0" in table
    assert "2 processors, exactly-once" in report.markdown(found)


def test_a_drain_row_counts_duplicated_events_as_errors() -> None:
    duplicated = {**drain(20_000, True), "canonical_expected": 100, "canonical_readable": 103}
    row = next(r for r in report.rows(results(drain_exactly_once=duplicated)) if "exactly" in r[0])
    assert row[6] == "3"
