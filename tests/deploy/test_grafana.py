"""The Grafana dashboard: well formed, valid PromQL, covering what operators watch."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.monitoring import (
    DASHBOARD,
    dashboard,
    dashboard_queries,
    grafana_to_promql,
    metric_names,
    panels,
    promtool,
)

PROVISIONING = DASHBOARD.parent.parent / "provisioning"


def test_panels_are_laid_out_with_unique_ids_on_the_data_source_variable() -> None:
    board = dashboard()
    assert board["uid"]
    assert board["title"]
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool parses recording rules with Prometheus's own parser.
    queries = dashboard_queries(dashboard())
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)}
                    for i, (_, expr) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    queries = dashboard_queries(dashboard())

    def shown(metric: str, marker: str = "") -> bool:
        return any(metric in metric_names(grafana_to_promql(q)) and marker in q for _, q in queries)

    assert shown("fleetwire_ingress_requests_total", "by (source)"), "ingress rate"
    assert shown("fleetwire_ingress_requests_total", "by (status)"), "status codes"
    assert shown("fleetwire_ingress_publish_seconds_bucket", "histogram_quantile"), "latency"
    assert shown("fleetwire_ingress_auth_failures_total"), "authentication failures"
    assert shown("fleetwire_processor_consumer_lag_records"), "pipeline lag"
    assert shown("fleetwire_processor_dead_letters_total"), "dead letters"
    assert shown("fleetwire_processor_end_to_end_seconds_bucket", "histogram_quantile"), "e2e"


def test_grafana_provisioning_points_at_prometheus_and_the_dashboards() -> None:
    [source] = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yaml").read_text())[
        "datasources"
    ]
    assert (source["type"], source["url"]) == ("prometheus", "http://prometheus:9090")
    [provider] = yaml.safe_load((PROVISIONING / "dashboards" / "fleetwire.yaml").read_text())[
        "providers"
    ]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_processor_panels_by_provider_follow_the_provider_variable() -> None:
    board = dashboard()
    [variable] = [v for v in board["templating"]["list"] if v["name"] == "provider"]
    assert "fleetwire_processor_records_consumed_total" in variable["definition"]
    by_provider = [q for _, q in dashboard_queries(board) if "by (provider" in q]
    assert by_provider
    assert all('provider=~"$provider"' in q for q in by_provider)
