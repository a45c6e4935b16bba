"""Phase `trace`: what recording the trace context costs the ingress per webhook.

Two measurements:

- in process, the work tracing adds to each request: `ingress.trace.raw_header` (a
  webhook with a valid `traceparent`, and one without, which starts a trace) plus the
  extra header in the raw record's Kafka batch (aiokafka's record builder), in µs per
  request, set against the ingress's CPU per request measured under wrk here;
- under wrk, the ingress at full speed with the mix as providers send it (no
  `traceparent`) and with a valid `traceparent` on every request.

The first is what the target is judged on: a few µs against a hundred vary less than two
wrk runs on a shared machine, whose difference is reported beside it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import uvloop
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from multidict import CIMultiDict, CIMultiDictProxy

from bench import broker, loadtest, mix, wrk
from bench.context import Run, say
from fleetwire import traceparent
from ingress import trace

CALLS = 200_000
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
RAW_HEADERS = [
    ("fleetwire-source", b"zubie"),
    ("fleetwire-provider", b"zubie"),
    ("fleetwire-received-at", b"2026-12-02T04:00:00.000Z"),
    ("fleetwire-request-id", b"0123456789abcdef0123456789abcdef"),
    ("content-type", b"application/json"),
]


def per_call_us(work: Callable[[], object], calls: int = CALLS) -> float:
    """The best of five timings of `calls` calls, in µs per call."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            work()
        best = min(best, time.perf_counter() - started)
    return 1e6 * best / calls


def request_headers(with_traceparent: bool) -> CIMultiDictProxy[str]:
    """Headers as aiohttp hands them to the handler: a signed Zubie webhook's."""
    headers = CIMultiDict(
        {
            "Host": "127.0.0.1:8080",
            "User-Agent": "Zubie-Webhooks/1.0",
            "Content-Type": "application/json",
            "Content-Length": "1234",
            "Zubie-Signature": "c2lnbmF0dXJlIG9mIHRoZSBib2R5IGluIGJhc2U2NA==",
        }
    )
    if with_traceparent:
        headers["traceparent"] = INCOMING
    return CIMultiDictProxy(headers)


def batch_append_us(headers: list[tuple[str, bytes]], calls: int = 20_000) -> float:
    """µs per record appended to a Kafka batch with `headers`, as the producer does."""
    value = b"x" * 800
    best = float("inf")
    for _ in range(5):
        builder = DefaultRecordBatchBuilder(2, 0, 0, -1, -1, -1, 64 << 20)
        started = time.perf_counter()
        for offset in range(calls):
            builder.append(offset, timestamp=None, key=b"k" * 64, value=value, headers=headers)
        best = min(best, time.perf_counter() - started)
    return 1e6 * best / calls


def in_process() -> dict[str, float]:
    plain, traced = request_headers(False), request_headers(True)
    header = trace.raw_header(plain)
    return {
        "raw_header_new_trace_us": round(per_call_us(lambda: trace.raw_header(plain)), 3),
        "raw_header_continued_us": round(per_call_us(lambda: trace.raw_header(traced)), 3),
        "kafka_header_us": round(
            max(0.0, batch_append_us([*RAW_HEADERS, header]) - batch_append_us(RAW_HEADERS)), 3
        ),
    }


def with_traceparent(requests: list[mix.SignedRequest]) -> list[mix.SignedRequest]:
    return [
        dataclasses.replace(r, headers={**r.headers, "traceparent": traceparent.new_trace()})
        for r in requests
    ]


def measure_http(run: Run, url: str, service: Any, name: str, traced: bool) -> dict[str, Any]:
    requests = mix.signed_mix(run.sources, time.time())
    if traced:
        requests = with_traceparent(requests)
    options = run.options
    load = {"connections": options.connections, "threads": options.threads}
    warmup = run.file(f"{name}-warmup.lua")
    warmup.write_text(wrk.lua_script(requests), encoding="utf-8")
    wrk.run(url, warmup, duration_s=options.warmup_s, **load)
    lua = run.file(f"{name}.lua")
    lua.write_text(wrk.lua_script(requests), encoding="utf-8")
    cpu_before = service.cpu_s()
    done = wrk.run(url, lua, duration_s=options.duration_s, **load)
    cpu = service.cpu_s() - cpu_before
    result = done.result
    figures = {
        "rps": round(result.rps, 1),
        "errors": result.error_count,
        "server_cpu_us_per_request": round(1e6 * cpu / max(result.requests, 1), 1),
    }
    say(f"{name}: {result.rps:,.0f} requests/s, {figures['server_cpu_us_per_request']} µs CPU each")
    return figures


def tracecost(run: Run) -> dict[str, Any]:
    micro = in_process()
    say(
        "trace: raw_header {raw_header_new_trace_us} µs (new trace), "
        "{raw_header_continued_us} µs (continued), Kafka header {kafka_header_us} µs".format(
            **micro
        )
    )
    prefix = run.prefix("trace")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    service, url = loadtest.start_ingress(run, prefix, 1)
    try:
        plain = measure_http(run, url, service, "trace-without-header", traced=False)
        traced = measure_http(run, url, service, "trace-with-header", traced=True)
    finally:
        service.stop()
    added = max(micro["raw_header_new_trace_us"], micro["raw_header_continued_us"])
    added += micro["kafka_header_us"]
    per_request = plain["server_cpu_us_per_request"]
    return {
        **micro,
        "without_header": plain,
        "with_header": traced,
        "added_us_per_request": round(added, 3),
        "share_of_ingress_cpu": round(added / per_request, 4) if per_request else None,
        "rps_with_to_without": round(traced["rps"] / plain["rps"], 3) if plain["rps"] else None,
        "cpu_with_to_without": round(traced["server_cpu_us_per_request"] / per_request, 3)
        if per_request
        else None,
    }
