"""What an operator sees of a running ingress and processor: /metrics checked by promtool,
scraped by a real Prometheus that evaluates the alert rules and the dashboard's queries,
and structured logs without secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fleetwire.logs import CONTEXT_FIELDS
from localkafka.ports import free_port
from tests.conftest import RUN_ID
from tests.support.monitoring import (
    OPERATIONS,
    RULES,
    PrometheusServer,
    dashboard,
    dashboard_queries,
    exported_names,
    grafana_to_promql,
    metric_names,
    promtool,
    rules,
    variable_metrics,
)
from tests.support.processes import Service, environment, run
from tests.support.samples import sample

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]

SECRET = f"ops-secret-{uuid.uuid4().hex}"
LOG_KEYS = {"time", "level", "logger", "message", "exception", *CONTEXT_FIELDS}
LEVELS = {"debug", "info", "warning", "error", "critical"}


@dataclass
class Stack:
    prefix: str
    webhook: str
    ingress_admin: str
    processor_admin: str
    ingress: Service
    processor: Service
    signatures: list[str]
    tmp: Path

    def metrics(self) -> dict[str, str]:
        return {
            kind: fetch(f"{url}/metrics")
            for kind, url in (("ingress", self.ingress_admin), ("processor", self.processor_admin))
        }


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Zubie-Signature": signature,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("operations")
    prefix = f"t{RUN_ID}.operations"
    sources = tmp / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "zubie-main"\nprovider = "zubie"\nsecrets = ["env:OPS_ZUBIE_SECRET"]\n'
    )
    env = environment(
        prefix,
        sources,
        FLEETWIRE_LOG_FORMAT="json",
        OPS_ZUBIE_SECRET=SECRET,
        FLEETWIRE_RAW_PARTITIONS="2",
        FLEETWIRE_CANONICAL_PARTITIONS="2",
    )
    created = run(["topics"], env)
    assert created.returncode == 0, created.stdout + created.stderr
    port, ingress_admin, processor_admin = free_port(), free_port(), free_port()
    ingress = Service(
        ["ingress"],
        {
            **env,
            "FLEETWIRE_HTTP_PORT": str(port),
            "FLEETWIRE_ADMIN_PORT": str(ingress_admin),
            "FLEETWIRE_WORKERS": "2",
        },
        tmp / "ingress.log",
    )
    processor = Service(
        ["process"], {**env, "FLEETWIRE_ADMIN_PORT": str(processor_admin)}, tmp / "processor.log"
    )
    try:
        ingress.wait_http(f"http://127.0.0.1:{ingress_admin}/readyz")
        processor.wait_http(f"http://127.0.0.1:{processor_admin}/readyz")
        built = Stack(
            prefix,
            f"http://127.0.0.1:{port}/webhooks/zubie-main",
            f"http://127.0.0.1:{ingress_admin}",
            f"http://127.0.0.1:{processor_admin}",
            ingress,
            processor,
            [],
            tmp,
        )
        send_traffic(built)
        yield built
    finally:
        assert ingress.stop() == 0, ingress.output()
        assert processor.stop() == 0, processor.output()


def send_traffic(stack: Stack) -> None:
    """One of each thing the metrics count: accepted, retried, refused, unknown, dead-lettered."""
    good = sample("zubie", "trip_end")
    invalid = sample("zubie", "vehicle_maintenance.invalid")
    signatures = [sign(good, SECRET), sign(invalid, SECRET), sign(good, "not-the-secret")]
    stack.signatures.extend(signatures)
    assert post(stack.webhook, good, signatures[0]) == 200
    assert post(stack.webhook, good, signatures[0]) == 200  # a provider's retry
    assert post(stack.webhook, invalid, signatures[1]) == 200
    assert post(stack.webhook, good, signatures[2]) == 401
    assert post(stack.webhook.replace("zubie-main", "nobody"), good, signatures[0]) == 404

    def processed() -> bool:
        text = fetch(f"{stack.processor_admin}/metrics")
        return (
            "fleetwire_processor_dead_letters_total{" in text
            and "fleetwire_processor_events_produced_total{" in text
        )

    wait_until(processed, "the processor to count a canonical event and a dead letter")


def families(exposition: str) -> dict[str, tuple[str, set[str]]]:
    """Family name (as in # TYPE) -> (type, label names seen on its samples)."""
    found = {}
    for family in text_string_to_metric_families(exposition):
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {k for s in family.samples for k in s.labels if k not in {"le", "quantile"}}
        found[name] = (family.type, labels)
    return found


def documented_metrics() -> dict[str, tuple[str, set[str]]]:
    """The metrics table of docs/operations.md: name -> (type, label names)."""
    rows = re.findall(
        r"^\| `(fleetwire_\w+)` \| (\w+) \| ([^|]*) \|", OPERATIONS.read_text(), re.MULTILINE
    )
    return {name: (kind, set(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


# --- /metrics, promtool and the documentation ----------------------------------------------


@pytest.mark.parametrize("kind", ["ingress", "processor"])
def test_live_metrics_pass_promtool_check(stack: Stack, kind: str) -> None:
    exposition = stack.metrics()[kind]
    result = promtool("check", "metrics", stdin=exposition)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fleetwire_{kind}_" in exposition


def test_every_fleetwire_metric_is_documented_with_its_type_and_labels(stack: Stack) -> None:
    live = {}
    for exposition in stack.metrics().values():
        live.update({n: f for n, f in families(exposition).items() if n.startswith("fleetwire_")})
    documented = documented_metrics()
    assert sorted(documented) == sorted(live), "docs/operations.md metrics table is out of date"
    for name, (kind, labels) in live.items():
        assert documented[name][0] == kind, name
        if labels:  # a labelled metric shows its labels once it has been used
            assert documented[name][1] == labels, name


def test_rules_and_dashboard_refer_only_to_exported_metrics(stack: Stack) -> None:
    exported = {"up"}  # Prometheus's own, per target
    for exposition in stack.metrics().values():
        exported |= set(exported_names(exposition))
    board = dashboard()
    referenced = {
        f"rule {r.get('alert') or r.get('record')}": metric_names(str(r["expr"])) for r in rules()
    }
    referenced |= {
        f"panel {title!r}": metric_names(grafana_to_promql(expr))
        for title, expr in dashboard_queries(board)
    }
    referenced["dashboard variables"] = variable_metrics(board)
    unknown = {where: names - exported for where, names in referenced.items() if names - exported}
    assert not unknown, f"not exported by the code: {unknown}"
    assert all(referenced.values()), [w for w, names in referenced.items() if not names]


# --- a real Prometheus -------------------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus(stack: Stack) -> Iterator[PrometheusServer]:
    config = stack.tmp / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "scrape_configs": [
                    {
                        "job_name": "fleetwire-ingress",
                        "static_configs": [
                            {"targets": [stack.ingress_admin.removeprefix("http://")]}
                        ],
                    },
                    {
                        "job_name": "fleetwire-processor",
                        "static_configs": [
                            {"targets": [stack.processor_admin.removeprefix("http://")]}
                        ],
                    },
                ],
            }
        )
    )
    server = PrometheusServer(config, stack.tmp / "tsdb", free_port(), stack.tmp / "prom.log")
    try:
        server.wait_ready()
        for job in ("fleetwire-ingress", "fleetwire-processor"):
            assert server.wait_for(f'up{{job="{job}"}} == 1'), f"{job} never scraped"
        yield server
    finally:
        server.stop()


def test_documented_series_are_queryable_in_prometheus(prometheus: PrometheusServer) -> None:
    for name, (kind, _) in documented_metrics().items():
        metadata = prometheus.api("metadata", metric=name)
        deadline = time.monotonic() + 10
        while not metadata and time.monotonic() < deadline:
            time.sleep(0.5)
            metadata = prometheus.api("metadata", metric=name)
        assert [m["type"] for m in metadata.get(name, [])] == [kind], (name, metadata)
    # The series the traffic above produced, with the labels operators filter on.
    ingress, processor = 'job="fleetwire-ingress"', 'job="fleetwire-processor"'
    expected = {
        f'fleetwire_ingress_requests_total{{{ingress}, source="zubie-main", status="200"}}': 3,
        f'fleetwire_ingress_requests_total{{{ingress}, source="zubie-main", status="401"}}': 1,
        f'fleetwire_ingress_requests_total{{{ingress}, source="_unknown", status="404"}}': 1,
        f'sum(fleetwire_ingress_auth_failures_total{{{ingress}, source="zubie-main"}})': 1,
        f'fleetwire_ingress_publish_seconds_count{{{ingress}, outcome="acknowledged"}}': 3,
        f'fleetwire_ingress_body_bytes_count{{{ingress}, source="zubie-main"}}': 4,
        f"sum(fleetwire_ingress_in_flight_requests{{{ingress}}})": 0,
        f'fleetwire_processor_records_consumed_total{{{processor}, provider="zubie"}}': 3,
        f'fleetwire_processor_events_produced_total{{{processor}, type="vehicle.trip.ended"}}': 1,
        f'fleetwire_processor_dead_letters_total{{{processor}, provider="zubie", '
        f'kind="invalid-json"}}': 1,
        # Only the delivery that became a canonical event: the retry is suppressed and
        # the invalid body dead-lettered.
        f"fleetwire_processor_end_to_end_seconds_count{{{processor}}}": 1,
        f'fleetwire_processor_duplicates_suppressed_total{{{processor}, provider="zubie"}}': 1,
        f"fleetwire_processor_batch_seconds_count{{{processor}}}": 1,
        f"sum(fleetwire_processor_consumer_lag_records{{{processor}}})": 0,
    }
    for expr, least in expected.items():
        result = prometheus.wait_for(f"{expr} >= {least}")
        assert result, f"{expr} not >= {least}: {prometheus.query(expr)}"


def test_alert_rules_evaluate_against_the_real_series(prometheus: PrometheusServer) -> None:
    def evaluated() -> dict[str, dict[str, str]]:
        groups = prometheus.api("rules")["groups"]
        return {r["name"]: r for g in groups for r in g["rules"]}

    names = {r["alert"] for r in rules() if "alert" in r}
    availability = ("FleetwireTargetDown", "FleetwireIngressAbsent", "FleetwireProcessorAbsent")

    def settled() -> bool:
        # An evaluation before the first scrape sees no target; later ones must not.
        current = evaluated()
        return set(current) >= names and all(
            current[n]["state"] == "inactive" for n in availability
        )

    wait_until(settled, f"{availability} to be inactive with both processes up")
    for name, rule in evaluated().items():
        assert rule["health"] == "ok", (name, rule)


def test_dashboard_queries_run_and_show_the_traffic(prometheus: PrometheusServer) -> None:
    with_data = {
        "Webhook requests by source",
        "Responses by status",
        "Raw-record write latency (acks=all)",
        "Authentication failures",
        "Records consumed by provider",
        "Canonical events by type",
        "Pipeline lag",
        "Dead letters",
        "End-to-end latency",
        "Processes up",
    }
    queries = dashboard_queries(dashboard())
    assert with_data <= {title for title, _ in queries}
    for title, expr in queries:
        # Every value of the dashboard's variables, as "All" selects them.
        promql = grafana_to_promql(expr, "1m").replace("$source", ".*").replace("$provider", ".*")
        result = (
            prometheus.wait_for(promql, timeout=20)
            if title in with_data
            else (prometheus.query(promql))
        )
        assert result or title not in with_data, f"panel {title!r} shows nothing: {promql}"


# --- logs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ingress", "processor"])
def test_json_logs_are_one_object_per_line_with_the_documented_fields(
    stack: Stack, kind: str
) -> None:
    lines = getattr(stack, kind).output().splitlines()
    assert lines
    entries = []
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert {"time", "level", "logger", "message"} <= set(entry) <= LOG_KEYS, line
        assert entry["level"] in LEVELS
        assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
        entries.append(entry)
    if kind == "ingress":
        [refused] = [e for e in entries if e.get("reason") and e.get("source") == "zubie-main"]
        assert refused["provider"] == "zubie"
        assert len(refused["request_id"]) == 32
    documented = OPERATIONS.read_text()
    assert all(f"`{key}`" in documented for key in LOG_KEYS)


def test_no_secret_or_signature_appears_in_logs_or_metrics(stack: Stack) -> None:
    seen = stack.ingress.output() + stack.processor.output() + "".join(stack.metrics().values())
    for secret in [SECRET, *stack.signatures]:
        assert secret not in seen
