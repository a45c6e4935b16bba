"""Spans by OTLP/HTTP when OpenTelemetry is configured; nothing imported when it is not."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from fleetwire import otel, traceparent
from fleetwire.errors import ConfigError
from tests.support.otlp import otlp_receiver

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
        ({"OTEL_SERVICE_NAME": "fleet"}, False),  # naming a service exports nothing by itself
    ],
)
def test_it_is_on_only_when_an_exporter_or_endpoint_is_set(env: dict[str, str], on: bool) -> None:
    assert otel.configured(env) is on


def test_an_exporter_it_does_not_have_stops_the_process_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER='jaeger'"):
        otel.spans("fleetwire-test", {"OTEL_TRACES_EXPORTER": "jaeger"})


def test_without_it_no_opentelemetry_module_is_imported() -> None:
    code = (
        "import sys, os\n"
        "for k in list(os.environ):\n"
        "    if k.startswith('OTEL_'): del os.environ[k]\n"
        "import ingress.server, ingress.trace, processors.worker\n"
        "from fleetwire import otel\n"
        "assert otel.spans('x') is None\n"
        "ingress.trace.raw_header({})\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def test_spans_go_out_by_otlp_http_with_the_ids_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with otlp_receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        spans = otel.spans("fleetwire-test")
        assert spans is not None
        webhook = traceparent.continued(INCOMING)
        event = traceparent.child(webhook, "event-1")
        root = traceparent.new_trace()
        now = time.time_ns()
        spans.record("webhook", webhook, INCOMING, start_ns=now, end_ns=now, kind="server")
        spans.record(
            "process vehicle.trip.ended",
            event,
            webhook,
            start_ns=now,
            end_ns=now + 1000,
            kind="consumer",
            attributes={"fleetwire.provider": "zubie"},
        )
        spans.record("webhook", root, None, start_ns=now, end_ns=now, kind="server")
        await asyncio.to_thread(spans.shutdown)  # flushes; the receiver answers meanwhile
    got = {(s.name, s.span_id): s for s in receiver.spans}
    assert receiver.content_types
    assert set(receiver.content_types) == {"application/x-protobuf"}
    first = got["webhook", traceparent.span_id(webhook)]
    assert (first.trace_id, first.parent_span_id) == (
        traceparent.trace_id(INCOMING),
        traceparent.span_id(INCOMING),
    )
    assert first.service == "fleetwire-test"
    second = got["process vehicle.trip.ended", traceparent.span_id(event)]
    assert (second.trace_id, second.parent_span_id) == (
        traceparent.trace_id(INCOMING),
        traceparent.span_id(webhook),
    )
    assert second.attributes["fleetwire.provider"] == "zubie"
    new = got["webhook", traceparent.span_id(root)]
    assert (new.trace_id, new.parent_span_id) == (traceparent.trace_id(root), "")
