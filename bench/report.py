"""The report: targets judged against the figures, a table for the terminal, Markdown
for the README. Pure functions of the results document that `bench` writes as JSON."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

Results = Mapping[str, Any]

# Targets for one ingress process. The requests/s share is lower with few connections:
# there every request waits on Kafka's round trip, which the ceiling never does.
INGRESS_SHARE = {32: 0.60, 200: 0.80}
INGRESS_CPU_FACTOR = 1.3  # CPU per webhook at most this times the ceiling's
INGRESS_P99_MS = 20.0
EXACTLY_ONCE_EPS = 35_000.0
AT_LEAST_ONCE_EPS = 20_000.0
E2E_P99_MS = 250.0
E2E_RATE = 1000.0
SERVERS = {
    "ceiling": "ceiling (verify + 200)",
    "ingress": "ingress, 1 worker",
    "ingress_before": "ingress before",
    "peer": "peer: FastAPI + send_and_wait",
    "compiled": "compiled receiver (Go, 1 core)",
}
TRACE_SHARE = 0.03
# Issue 22: the processor against the floor Kafka sets in the same run, exactly once,
# and the ingress against a compiled receiver with a provider's typical body.
FLOOR_SHARE = 0.5  # records/s at least this share of the floor's
FLOOR_CPU_FACTOR = 2.5  # CPU per record at most this times the floor's
COMPILED_CPU_FACTOR = 2.0  # ingress CPU per request at most this times the compiled's
COMPILED_BODY = "typical"
DRAIN_MODES = ("at_least_once", "exactly_once")
# Issue 22: two exactly-once processes in one group against one, on a 2-core machine.
TWO_PROCESSES_SHARE = 1.6  # records/s of two at least this times one's
TWO_PROCESSES_CORES = 2
SCALED = re.compile(r"drain_exactly_once_(\d+)_processes")
# Several processors over one, per round: records/s and CPU per record, while every member
# held partitions (judged) and over the whole drain (start-up and the join's rebalance in).
SCALING_PAIRS = {
    "records_per_s_sharing": "to_1",
    "cpu_per_record_sharing": "cpu_to_1",
    "records_per_s": "to_1_whole_drain",
    "cpu_per_record": "cpu_to_1_whole_drain",
}


@dataclass(frozen=True)
class Target:
    name: str
    value: str
    status: str  # "met", "not met" or "not measured"
    note: str = ""


def _get(results: Results, *path: str) -> Any:
    node: Any = results.get("phases", {})
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def regimes(results: Results) -> list[int]:
    """The connection counts measured, fewest first."""
    found = _get(results, "http", "regimes") or {}
    return sorted(int(c) for c in found)


def server(
    results: Results, connections: int, name: str, body: str | None = None
) -> Mapping[str, Any] | None:
    """A server's figures in a regime, with the mix or with one of the sized bodies."""
    where = ("regimes",) if body is None else ("bodies", body, "regimes")
    found = _get(results, "http", *where, str(connections), name)
    return None if found is None or "error" in found else found


def bodies(results: Results) -> dict[str, list[int]]:
    """The sized bodies measured, each with its connection counts, fewest first."""
    found = _get(results, "http", "bodies") or {}
    return {body: sorted(int(c) for c in f.get("regimes", {})) for body, f in found.items()}


def scaled_counts(results: Results) -> list[int]:
    """The counts of processors that drained exactly once beside the single one."""
    found = (SCALED.fullmatch(key) for key in results.get("phases", {}))
    return sorted(int(m.group(1)) for m in found if m)


def scaled(results: Results, count: int) -> Mapping[str, Any] | None:
    found = _get(results, f"drain_exactly_once_{count}_processes")
    return None if found is None else found


def _cores(results: Results, figures: Mapping[str, Any] | None) -> int | None:
    cores = None if figures is None else figures.get("cores")
    found = cores or results.get("machine", {}).get("cores")
    return None if found is None else int(found)


def _drain_cpu(figures: Mapping[str, Any] | None) -> float | None:
    if figures is None or "error" in figures:
        return None
    value = figures.get("cpu_us_per_event_median", figures.get("processor_cpu_us_per_event"))
    return None if value is None else float(value)


def _drain_rate(figures: Mapping[str, Any] | None) -> float | None:
    if figures is None or "error" in figures or not figures.get("events_per_s"):
        return None
    return float(figures["events_per_s"])


def _cpu(figures: Mapping[str, Any] | None) -> float | None:
    if figures is None:
        return None
    value = figures.get("cpu_us_per_request_median", figures.get("server_cpu_us_per_request"))
    return None if value is None else float(value)


def _rps(figures: Mapping[str, Any] | None) -> float | None:
    return None if figures is None else float(figures["rps"])


def derived(results: Results) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 3)

    found: dict[str, float | None] = {}
    for c in regimes(results):
        ceiling, ingress = server(results, c, "ceiling"), server(results, c, "ingress")
        peer = server(results, c, "peer")
        found[f"ingress_to_ceiling_c{c}"] = rounded(ratio(_rps(ingress), _rps(ceiling)))
        # CPU per webhook, the ingress's over the ceiling's: steadier on a shared machine
        found[f"ingress_cpu_to_ceiling_c{c}"] = rounded(ratio(_cpu(ingress), _cpu(ceiling)))
        found[f"ingress_to_peer_c{c}"] = rounded(ratio(_rps(ingress), _rps(peer)))
    busiest = max(regimes(results), default=None)
    one = None if busiest is None else server(results, busiest, "ingress")
    found["two_workers_to_one"] = rounded(
        ratio(_get(results, "ingress_2_workers", "full_speed", "rps"), _rps(one))
    )
    for body, counts in bodies(results).items():
        for c in counts:
            ingress = server(results, c, "ingress", body)
            for other in ("ceiling", "compiled"):
                found[f"ingress_cpu_to_{other}_{body}_c{c}"] = rounded(
                    ratio(_cpu(ingress), _cpu(server(results, c, other, body)))
                )
    for mode in DRAIN_MODES:
        floor = _get(results, f"floor_{mode}")
        for who in ("drain", "drain_before"):
            figures = _get(results, f"{who}_{mode}")
            name = "processor" if who == "drain" else "processor_before"
            paired = _paired(figures, "records_per_s")
            found[f"{name}_to_floor_{mode}"] = rounded(
                paired if paired is not None else ratio(_drain_rate(figures), _drain_rate(floor))
            )
            paired = _paired(figures, "cpu_per_record")
            found[f"{name}_cpu_to_floor_{mode}"] = rounded(
                paired if paired is not None else ratio(_drain_cpu(figures), _drain_cpu(floor))
            )
    for count in scaled_counts(results):
        figures = scaled(results, count)
        for key, name in SCALING_PAIRS.items():
            found[f"processes_{count}_{name}_exactly_once"] = rounded(
                _paired(figures, key, "to_one_process")
            )
    found["exactly_once_to_at_least_once"] = rounded(
        ratio(
            _get(results, "drain_exactly_once", "events_per_s"),
            _get(results, "drain_at_least_once", "events_per_s"),
        )
    )
    return found


def _each_round(figures: Mapping[str, Any] | None, key: str, pairs: str = "floor_fractions") -> str:
    """Every round's fraction of its floor (or of another pair), when there were several."""
    rounds = [] if figures is None else figures.get(pairs, [])
    if len(rounds) < 2:
        return ""
    return " [" + " ".join(_n(r.get(key), 2) for r in rounds) + "]"


def _paired(
    figures: Mapping[str, Any] | None, key: str, pairs: str = "floor_fractions"
) -> float | None:
    """The median over rounds of a processor's fraction of the floor of the same round
    (or of what `pairs` pairs it with: the single processor of the same round)."""
    if figures is None or "error" in figures:
        return None
    found = [f[key] for f in figures.get(pairs, []) if f.get(key) is not None]
    return statistics.median(found) if found else None


def _judge(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "not met")


def targets(results: Results) -> list[Target]:
    share = derived(results)
    found: list[Target] = []

    for c, wanted in INGRESS_SHARE.items():
        cpu = share.get(f"ingress_cpu_to_ceiling_c{c}")
        found.append(
            Target(
                f"ingress CPU per webhook <= {INGRESS_CPU_FACTOR}x the ceiling's, {c} connections",
                "-" if cpu is None else f"{cpu:.2f}x",
                _judge(None if cpu is None else cpu <= INGRESS_CPU_FACTOR),
            )
        )
        rps = share.get(f"ingress_to_ceiling_c{c}")
        found.append(
            Target(
                f"ingress requests/s >= {wanted:.0%} of the ceiling's, {c} connections",
                "-" if rps is None else f"{rps:.0%}",
                _judge(None if rps is None else rps >= wanted),
            )
        )

    slow = _get(results, "http", "ingress_at_80_percent")
    p99 = None if slow is None or "error" in slow else slow["latency_ms"]["p99"]
    found.append(
        Target(
            f"ingress p99 <= {INGRESS_P99_MS:.0f} ms at 80% of its maximum rate",
            "-" if p99 is None else f"{p99:.1f} ms",
            _judge(None if p99 is None else p99 <= INGRESS_P99_MS and slow["errors"] == 0),
            _paced_note(slow),
        )
    )

    alo = _get(results, "drain_at_least_once")
    alo_eps = None if alo is None else alo.get("events_per_s")
    found.append(
        Target(
            f"processor >= {AT_LEAST_ONCE_EPS:,.0f} events/s at-least-once",
            "-" if alo_eps is None else f"{alo_eps:,.0f}/s",
            _judge(None if alo_eps is None else alo_eps >= AT_LEAST_ONCE_EPS and alo["complete"]),
        )
    )

    eos = _get(results, "drain_exactly_once")
    eos_eps = None if eos is None else eos.get("events_per_s")
    transactions = eos is not None and eos.get("transactions_seen", False)
    found.append(
        Target(
            f"processor >= {EXACTLY_ONCE_EPS:,.0f} events/s exactly-once",
            "-" if eos_eps is None else f"{eos_eps:,.0f}/s",
            _judge(
                None
                if eos_eps is None or not transactions
                else eos_eps >= EXACTLY_ONCE_EPS and eos["complete"]
            ),
            "" if eos is None or transactions else "no transactions seen on the canonical topics",
        )
    )

    found.extend(_floor_targets(results, share))
    found.extend(_scaling_targets(results, share))
    found.extend(_compiled_targets(results, share))

    e2e = _get(results, "e2e")
    e2e_p99 = None if e2e is None or e2e.get("e2e_ms") is None else e2e["e2e_ms"]["p99"]
    complete = e2e is not None and e2e["missing"] == 0 and e2e["not_accepted"] == 0
    steady = e2e is not None and e2e["sent_rps"] >= 0.95 * E2E_RATE
    found.append(
        Target(
            f"end-to-end p99 <= {E2E_P99_MS:.0f} ms at {E2E_RATE:,.0f} webhooks/s",
            "-" if e2e_p99 is None else f"{e2e_p99:.0f} ms",
            _judge(None if e2e_p99 is None else e2e_p99 <= E2E_P99_MS and complete and steady),
            _e2e_note(e2e),
        )
    )

    trace = _get(results, "trace")
    trace_share = None if trace is None else trace.get("share_of_ingress_cpu")
    found.append(
        Target(
            f"trace context < {TRACE_SHARE:.0%} of the ingress's CPU per request",
            "-"
            if trace_share is None
            else f"{trace_share:.1%} ({trace['added_us_per_request']} µs)",
            _judge(None if trace_share is None else trace_share < TRACE_SHARE),
            _trace_note(trace),
        )
    )
    return found


def _floor_targets(results: Results, share: Mapping[str, float | None]) -> list[Target]:
    eos = _get(results, "drain_exactly_once")
    judged = eos is not None and eos.get("transactions_seen", False) and eos.get("complete")
    note = "" if eos is None or judged else "incomplete, or no transactions seen"
    rate = share.get("processor_to_floor_exactly_once")
    cpu = share.get("processor_cpu_to_floor_exactly_once")
    return [
        Target(
            f"exactly-once drain >= {FLOOR_SHARE} of the floor's records/s",
            "-" if rate is None else f"{rate:.2f}",
            _judge(None if rate is None or not judged else rate >= FLOOR_SHARE),
            note,
        ),
        Target(
            f"exactly-once CPU per record <= {FLOOR_CPU_FACTOR}x the floor's",
            "-" if cpu is None else f"{cpu:.2f}x",
            _judge(None if cpu is None or not judged else cpu <= FLOOR_CPU_FACTOR),
            note,
        ),
    ]


def _scaling_targets(results: Results, share: Mapping[str, float | None]) -> list[Target]:
    figures = scaled(results, 2)
    if figures is None:
        return []
    ratio_2 = share.get("processes_2_to_1_exactly_once")
    cores = _cores(results, figures)
    problems = scaling_problems(figures)
    if cores != TWO_PROCESSES_CORES:
        problems.insert(0, f"stated for {TWO_PROCESSES_CORES} cores, measured on {cores}")
    return [
        Target(
            f"2 processors >= {TWO_PROCESSES_SHARE}x one's records/s, exactly-once, "
            f"{TWO_PROCESSES_CORES} cores",
            "-" if ratio_2 is None else f"{ratio_2:.2f}x",
            _judge(None if ratio_2 is None or problems else ratio_2 >= TWO_PROCESSES_SHARE),
            ", ".join(problems),
        )
    ]


def scaling_problems(figures: Mapping[str, Any]) -> list[str]:
    """Why a drain by several processors says nothing of scaling, if it does not."""
    if "error" in figures:
        return [str(figures["error"])]
    found = []
    if not figures.get("complete"):
        found.append("incomplete")
    if not figures.get("sharing", {}).get("events_per_s"):
        found.append("the members never drained together: give the drain more records")
    differences = [p.get("canonical_difference") for p in figures.get("to_one_process", [])]
    if any(differences):
        found.append(f"canonical events minus one processor's: {differences}")
    return found


def _compiled_targets(results: Results, share: Mapping[str, float | None]) -> list[Target]:
    found = []
    for c in bodies(results).get(COMPILED_BODY, []):
        cpu = share.get(f"ingress_cpu_to_compiled_{COMPILED_BODY}_c{c}")
        found.append(
            Target(
                f"ingress CPU per request <= {COMPILED_CPU_FACTOR}x the compiled receiver's, "
                f"{COMPILED_BODY} body, {c} connections",
                "-" if cpu is None else f"{cpu:.2f}x",
                _judge(None if cpu is None else cpu <= COMPILED_CPU_FACTOR),
            )
        )
    return found


def _trace_note(trace: Mapping[str, Any] | None) -> str:
    if trace is None or trace.get("rps_with_to_without") is None:
        return ""
    cpu = trace.get("cpu_with_to_without")
    return (
        f"with an incoming traceparent / without: requests/s {trace['rps_with_to_without']:.3f}"
        + ("" if cpu is None else f", CPU per request {cpu:.3f}")
    )


def _paced_note(slow: Mapping[str, Any] | None) -> str:
    if slow is None:
        return ""
    notes = []
    if slow["errors"]:
        notes.append(f"{slow['errors']} errors")
    offered = slow.get("offered_rps")
    if offered and slow["rps"] < 0.95 * offered:
        notes.append(f"only {slow['rps']:,.0f} of {offered:,.0f}/s answered")
    return ", ".join(notes)


def _e2e_note(e2e: Mapping[str, Any] | None) -> str:
    if e2e is None:
        return ""
    notes = []
    if e2e.get("delivery") == "exactly-once" and e2e.get("transactions_seen") is False:
        notes.append("exactly-once requested, no transactions seen")
    if e2e["sent_rps"] < 0.95 * E2E_RATE:
        notes.append(f"only {e2e['sent_rps']:,.0f}/s sent")
    if e2e["not_accepted"]:
        notes.append(f"{e2e['not_accepted']} not accepted")
    if e2e["missing"]:
        notes.append(f"{e2e['missing']} never readable")
    return ", ".join(notes)


def target_dicts(results: Results) -> list[dict[str, str]]:
    return [asdict(t) for t in targets(results)]


# -- rendering ------------------------------------------------------------------------

HEADERS = (
    "phase",
    "rate",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "errors",
    "server CPU",
    "CPU us/item",
    "loadgen CPU",
)


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _row(
    label: str,
    rate: str,
    latency: Mapping[str, float] | None = None,
    errors: int | None = None,
    cpu: tuple[float | None, float | None, float | None] | None = None,
) -> list[str]:
    """One table row: latency in ms; cpu as (server %, server us per item, loadgen %)."""
    cells = [label, rate]
    cells += (
        ["", "", "", ""]
        if latency is None
        else [_n(latency[k], 1) for k in ("p50", "p99", "p999", "max")]
    )
    cells.append("" if errors is None else str(errors))
    cells += ["", "", ""] if cpu is None else [_pct(cpu[0]), _n(cpu[1], 0), _pct(cpu[2])]
    return cells


def _failed(label: str, phase: Mapping[str, Any]) -> list[str]:
    return _row(label, f"failed: {phase.get('error', 'no event matched')}")


def _http_row(label: str, phase: Mapping[str, Any] | None) -> list[str] | None:
    if phase is None:
        return None
    if "error" in phase:
        return _failed(label, phase)
    cpu = (
        phase["server_cpu_percent"],
        phase.get("server_cpu_us_per_request"),
        phase["loadgen_cpu_percent"],
    )
    return _row(label, f"{_n(phase['rps'])} req/s", phase["latency_ms"], phase["errors"], cpu)


def _drain_row(label: str, phase: Mapping[str, Any] | None) -> list[str] | None:
    """Raw records in per second (the floor's unit too); errors: canonical events missing
    or duplicated (readable against what the normalizers make of the records) plus dead
    letters."""
    if phase is None:
        return None
    if "error" in phase:
        return _failed(label, phase)
    errors = None
    if "canonical_readable" in phase:
        expected = phase.get("canonical_expected", phase["records"])
        errors = abs(expected - phase["canonical_readable"])  # lost or duplicated
        errors += phase.get("dead_letters", 0)
    cpu = (phase.get("processor_cpu_percent"), _drain_cpu(phase), None)
    return _row(
        label, f"{_n(phase['events_per_s'])} rec/s{_drain_spread(phase)}", None, errors, cpu
    )


def _drain_spread(phase: Mapping[str, Any]) -> str:
    rounds = phase.get("rounds", [])
    if len(rounds) < 2:
        return ""
    return " [" + " ".join(_n(r["events_per_s"]) for r in rounds) + "]"


def _rebalance_row(label: str, phase: Mapping[str, Any] | None) -> list[str] | None:
    if phase is None:
        return None
    if "error" in phase:
        return _failed(label, phase)
    if phase.get("pause_s") is None:
        return _row(label, f"not measured: {phase.get('note', '')}")
    usual = phase.get("usual_gap_s")
    shown = f"pause {phase['pause_s']:.2f} s" + (
        "" if usual is None else f" (usual gap {usual:.2f} s)"
    )
    return _row(label, shown)


def _poll_row(label: str, phase: Mapping[str, Any] | None) -> list[str] | None:
    if phase is None:
        return None
    if "error" in phase:
        return _failed(label, phase)
    missing = max(0, phase["entities"] - phase["raw_readable"])
    cpu = (phase.get("poller_cpu_percent"), phase.get("poller_cpu_us_per_entity"), None)
    return _row(label, f"{_n(phase['entities_per_s'])} ent/s", None, missing, cpu)


def _e2e_row(label: str, phase: Mapping[str, Any] | None) -> list[str] | None:
    if phase is None:
        return None
    if "error" in phase or phase.get("e2e_ms") is None:
        return _failed(label, phase)
    errors = phase["not_accepted"] + phase["missing"]
    return _row(label, f"{_n(phase['sent_rps'])} req/s", phase["e2e_ms"], errors)


def _e2e_label(phase: Mapping[str, Any] | None) -> str:
    delivery = None if phase is None else phase.get("delivery")
    return "end to end, 200 -> readable" + (f" ({delivery})" if delivery else "")


def _workers_label(phase: Mapping[str, Any] | None, workers: int) -> str:
    label = f"ingress, {workers} worker{'s' if workers > 1 else ''}"
    processes = None if phase is None else phase.get("server_processes")
    if processes is not None and processes != workers:
        label += f" ({processes} process{'es' if processes > 1 else ''})"
    return label


def _spread(phase: Mapping[str, Any] | None) -> str:
    """The requests/s of every round, when there were several: how noisy the run was."""
    rounds = [] if phase is None else phase.get("rounds", [])
    if len(rounds) < 2:
        return ""
    return " [" + " ".join(_n(r["rps"]) for r in rounds) + "]"


def rows(results: Results) -> list[list[str]]:
    phases = results.get("phases", {})
    candidates: list[tuple[Callable[[str, Any], list[str] | None], str, Any]] = []
    for c in regimes(results):
        for name, label in SERVERS.items():
            phase = _get(results, "http", "regimes", str(c), name)
            if phase is not None:
                candidates.append((_http_row, f"{c} conn: {label}{_spread(phase)}", phase))
    for body, counts in bodies(results).items():
        size = _get(results, "http", "bodies", body, "bytes")
        for c in counts:
            for name, label in SERVERS.items():
                phase = server(results, c, name, body) or _get(
                    results, "http", "bodies", body, "regimes", str(c), name
                )
                if phase is not None:
                    shown = f"{c} conn, {body} {_n(size)} B: {label}{_spread(phase)}"
                    candidates.append((_http_row, shown, phase))
    slow = _get(results, "http", "ingress_at_80_percent")
    slow_label = (
        "ingress, 80% of max"
        if slow is None or "offered_rps" not in slow
        else (f"ingress, {_n(slow['offered_rps'])}/s offered")
    )
    candidates += [
        (_http_row, slow_label, slow),
        (
            _http_row,
            _workers_label(_get(results, "ingress_2_workers", "full_speed"), 2),
            _get(results, "ingress_2_workers", "full_speed") or phases.get("ingress_2_workers"),
        ),
        (_drain_row, "processor, at-least-once", phases.get("drain_at_least_once")),
        (_drain_row, "processor before, at-least-once", phases.get("drain_before_at_least_once")),
        (_drain_row, "floor, at-least-once", phases.get("floor_at_least_once")),
        (_drain_row, "processor, exactly-once", phases.get("drain_exactly_once")),
        (_drain_row, "processor before, exactly-once", phases.get("drain_before_exactly_once")),
        *_scaled_rows(results),
        (_drain_row, "floor, exactly-once", phases.get("floor_exactly_once")),
        (_rebalance_row, "rebalance: a 2nd processor joins", phases.get("rebalance")),
        (_rebalance_row, "rebalance, processor before", phases.get("rebalance_before")),
        (_e2e_row, _e2e_label(phases.get("e2e")), phases.get("e2e")),
        (_poll_row, "poller, MyGeotab feed to raw", phases.get("poll")),
    ]
    return [row for render, label, phase in candidates if (row := render(label, phase))]


def _scaled_rows(results: Results) -> list[tuple[Callable[[str, Any], list[str] | None], str, Any]]:
    """Per count of processors: the whole drain, then the part while all held partitions."""
    found: list[tuple[Callable[[str, Any], list[str] | None], str, Any]] = []
    for count in scaled_counts(results):
        figures = scaled(results, count)
        sharing = None if figures is None else figures.get("sharing")
        found.append((_drain_row, _scaled_label(results, count), figures))
        if sharing:
            found.append((_drain_row, f"{count} processors, while all held partitions", sharing))
    return found


def _scaled_label(results: Results, count: int) -> str:
    figures = scaled(results, count)
    partitions = _partitions(figures)
    return f"{count} processors, exactly-once, {_cores(results, figures)} cores" + (
        f" (partitions {partitions})" if partitions else ""
    )


def _partitions(figures: Mapping[str, Any] | None) -> str:
    """Each member's partitions in the shown round, as 15+15."""
    found = [] if figures is None else figures.get("members", [])
    return "+".join(str(m["partitions"]) for m in found)


def _machine_line(results: Results) -> str:
    m = results.get("machine", {})
    load = " ".join(str(x) for x in m.get("load_average_at_start", []))
    return (
        f"{m.get('cpu_model')} ({m.get('cores')} cores), {m.get('python')}, "
        f"Kafka {m.get('kafka')}, {m.get('wrk')}; load average at start {load}"
    )


def _ratios(results: Results) -> list[str]:
    share = derived(results)

    def shown(key: str, digits: str = ".2f") -> str:
        value = share.get(key)
        return "-" if value is None else f"{value:{digits}}"

    parts = [
        f"{c} connections: ingress/ceiling {shown(f'ingress_to_ceiling_c{c}')}, "
        f"CPU per request {shown(f'ingress_cpu_to_ceiling_c{c}')}x the ceiling's, "
        f"ingress/peer {shown(f'ingress_to_peer_c{c}')}"
        for c in regimes(results)
    ]
    for body, counts in bodies(results).items():
        parts.extend(
            f"{body} body, {c} connections: ingress CPU per request "
            f"{shown(f'ingress_cpu_to_compiled_{body}_c{c}')}x the compiled receiver's, "
            f"{shown(f'ingress_cpu_to_ceiling_{body}_c{c}')}x the ceiling's"
            for c in counts
        )
    for mode in DRAIN_MODES:
        for name in ("processor", "processor_before"):
            rate = share.get(f"{name}_to_floor_{mode}")
            if rate is None and share.get(f"{name}_cpu_to_floor_{mode}") is None:
                continue
            figures = _get(results, f"{'drain' if name == 'processor' else 'drain_before'}_{mode}")
            parts.append(
                f"{name.replace('_', ' ')}/floor, {mode.replace('_', '-')}: records/s "
                f"{shown(f'{name}_to_floor_{mode}')}{_each_round(figures, 'records_per_s')}, "
                f"CPU per record {shown(f'{name}_cpu_to_floor_{mode}')}x"
                f"{_each_round(figures, 'cpu_per_record')}"
            )
    for count in scaled_counts(results):
        parts.append(_scaling_part(results, count, shown))
    parts.append(f"2 workers/1 worker {shown('two_workers_to_one')}")
    parts.append(f"exactly-once/at-least-once {shown('exactly_once_to_at_least_once')}")
    return parts


def _scaling_part(results: Results, count: int, shown: Callable[[str], str]) -> str:
    figures = scaled(results, count)
    pairs = [] if figures is None else figures.get("to_one_process", [])
    differences = " ".join(f"{p.get('canonical_difference'):+d}" for p in pairs) or "-"

    def pair(name: str, key: str, unit: str = "") -> str:
        return (
            f"{shown(f'processes_{count}_{name}_exactly_once')}{unit}"
            f"{_each_round(figures, key, 'to_one_process')}"
        )

    return (
        f"{count} processors/1, exactly-once, {_cores(results, figures)} cores, while all "
        f"held partitions: records/s {pair('to_1', 'records_per_s_sharing')}, CPU per record "
        f"{pair('cpu_to_1', 'cpu_per_record_sharing', 'x')}; whole drain: records/s "
        f"{pair('to_1_whole_drain', 'records_per_s')}, CPU per record "
        f"{pair('cpu_to_1_whole_drain', 'cpu_per_record', 'x')}; canonical events minus 1 "
        f"processor's {differences}"
    )


def mix_line(results: Results) -> str | None:
    """The drain's records: how many of each provider, their size and events per record."""
    mix = _get(results, "drain_mix")
    if mix is None:
        return None
    each = ", ".join(
        f"{p} {e['share']:.0%} ({_n(e['avg_body_bytes'])} B, {e['events_per_record']:.2f} ev)"
        for p, e in mix["providers"].items()
    )
    return (
        f"drain mix: {_n(mix['records'])} raw records per drain, {_n(mix['avg_body_bytes'])} "
        f"bytes and {mix['events_per_record']:.2f} canonical events per record on average; {each}"
    )


def normalizers_line(results: Results) -> str | None:
    """Each provider's normalizer CPU per record, and the earlier commit's beside it."""
    found = _get(results, "normalizers")
    if found is None:
        return None
    if "error" in found:
        return f"normalizers: failed: {found['error']}"
    before = found.get("before", {})

    def one(provider: str, figures: Mapping[str, Any]) -> str:
        text = f"{provider} {figures['cpu_us_per_record']:.1f}"
        if provider in before:
            text += f" (before {before[provider]['cpu_us_per_record']:.1f})"
        return text

    listed = ", ".join(one(p, f) for p, f in found["providers"].items())
    return f"normalizer CPU us per record, over each provider's samples: {listed}"


def _extra_lines(results: Results) -> list[str]:
    return [line for line in (mix_line(results), normalizers_line(results)) if line]


def table(results: Results) -> str:
    body = [list(HEADERS), *rows(results)]
    widths = [max(len(row[i]) for row in body if len(row) > i) for i in range(len(HEADERS))]
    lines = [
        f"fleetwire benchmark, {results.get('date')} (run {results.get('run_id')})",
        f"machine: {_machine_line(results)}",
    ]
    if results.get("note"):
        lines.append(f"note: {results['note']}")
    lines.append("")
    for row in body:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=False)),
        ]
        lines.append("  ".join(cells).rstrip())
    lines.extend(["", *_extra_lines(results), "ratios:"])
    lines.extend(f"  {part}" for part in _ratios(results))
    lines.extend(["", "targets:"])
    for target in targets(results):
        note = f" ({target.note})" if target.note else ""
        lines.append(f"  [{target.status:^12}] {target.name}: {target.value}{note}")
    return "\n".join(lines)


def markdown(results: Results) -> str:
    """The summary the README quotes."""
    lines = [
        f"Measured {results.get('date')} on {_machine_line(results)}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|",
    ]
    lines.extend(
        "| " + " | ".join(row + [""] * (len(HEADERS) - len(row))) + " |" for row in rows(results)
    )
    lines.extend(["", *(f"{line}\n" for line in _extra_lines(results))])
    lines.extend(["Ratios:", "", *(f"- {part}" for part in _ratios(results))])
    lines.extend(["", "| target | measured | |", "|---|---:|---|"])
    for target in targets(results):
        note = f" ({target.note})" if target.note else ""
        lines.append(f"| {target.name} | {target.value} | {target.status}{note} |")
    if results.get("note"):
        lines.extend(["", f"Note: {results['note']}"])
    return "\n".join(lines) + "\n"
