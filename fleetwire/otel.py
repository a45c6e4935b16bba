"""Spans by OTLP when OpenTelemetry is configured (the `otel` extra), nothing otherwise.

On when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_TRACES_EXPORTER` is set (and
`OTEL_TRACES_EXPORTER` is not `none`, `OTEL_SDK_DISABLED` not `true`); every other
`OTEL_*` variable (service name, resource attributes, headers, sampler, batch delays) is
the SDK's own. Off, this module imports nothing of OpenTelemetry and costs nothing.

The trace context on the wire does not depend on it: the ingress and the processors
choose every span id themselves (`fleetwire.traceparent`), so that events stay the same
on every retry. A span is recorded here with exactly the ids already chosen, through an
id generator that hands them to the SDK, and with the start and end times given.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from fleetwire import traceparent
from fleetwire.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger(__name__)

Kind = Literal["server", "consumer"]
EXPORTERS = ("otlp", "console", "none")


def configured(env: Mapping[str, str]) -> bool:
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or exporter == "none":
        return False
    return bool(exporter or env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip())


class Spans:
    """Records finished spans with chosen ids; build it with `spans()`."""

    def __init__(self, provider: TracerProvider, ids: Any, service: str) -> None:
        from opentelemetry import trace  # noqa: PLC0415 (the otel extra)
        from opentelemetry.trace import SpanKind  # noqa: PLC0415

        self._provider = provider
        self._ids = ids
        self._tracer = provider.get_tracer("fleetwire")
        self._trace = trace
        self._kinds = {"server": SpanKind.SERVER, "consumer": SpanKind.CONSUMER}
        self.service = service

    def record(
        self,
        name: str,
        context: str,
        parent: str | None,
        *,
        start_ns: int,
        end_ns: int,
        kind: Kind,
        attributes: Mapping[str, str | int] | None = None,
    ) -> None:
        """A span whose own context is `context` (a traceparent), child of `parent`."""
        from opentelemetry.trace import (  # noqa: PLC0415
            NonRecordingSpan,
            SpanContext,
            TraceFlags,
        )

        self._ids.trace_id = int(traceparent.trace_id(context), 16)
        self._ids.span_id = int(traceparent.span_id(context), 16)
        parent_context = None
        if parent is not None:
            remote = SpanContext(
                trace_id=int(traceparent.trace_id(parent), 16),
                span_id=int(traceparent.span_id(parent), 16),
                is_remote=True,
                trace_flags=TraceFlags(int(parent[53:], 16)),
            )
            parent_context = self._trace.set_span_in_context(NonRecordingSpan(remote))
        span = self._tracer.start_span(
            name,
            context=parent_context,
            kind=self._kinds[kind],
            attributes=dict(attributes or {}),
            start_time=start_ns,
        )
        span.end(end_time=end_ns)

    def shutdown(self) -> None:
        """Send what is still buffered, then stop."""
        self._provider.shutdown()


def spans(service: str, env: Mapping[str, str] | None = None) -> Spans | None:
    """The process's span recorder if OpenTelemetry is configured, else None."""
    env = os.environ if env is None else env
    if not configured(env):
        return None
    exporter_name = env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if exporter_name not in EXPORTERS:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER={exporter_name!r}: fleetwire exports spans with one of "
            f"{', '.join(EXPORTERS)}"
        )
    try:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SpanExporter,
        )
        from opentelemetry.sdk.trace.id_generator import RandomIdGenerator  # noqa: PLC0415
    except ImportError:
        raise ConfigError(
            "OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_TRACES_EXPORTER is set but OpenTelemetry is "
            "not installed: install fleetwire with the `otel` extra, or unset them"
        ) from None

    class ChosenIds(RandomIdGenerator):
        """The ids of the span being recorded, chosen beforehand; random otherwise."""

        trace_id = 0
        span_id = 0

        def generate_span_id(self) -> int:
            chosen, self.span_id = self.span_id, 0
            return chosen or int(super().generate_span_id())

        def generate_trace_id(self) -> int:
            chosen, self.trace_id = self.trace_id, 0
            return chosen or int(super().generate_trace_id())

    exporter: SpanExporter
    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter()  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*
    ids = ChosenIds()
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over this default.
    named = env.get("OTEL_SERVICE_NAME", "").strip()
    resource = Resource.create() if named else Resource.create({SERVICE_NAME: service})
    provider = TracerProvider(resource=resource, id_generator=ids)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    log.info("exporting spans (%s) as %s", exporter_name, service)
    return Spans(provider, ids, service)
