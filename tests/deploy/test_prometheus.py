"""The alert rules and the scrape configuration, checked with promtool."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.support.monitoring import (
    OPERATIONS,
    PROMETHEUS_DIR,
    RULE_TESTS,
    RULES,
    metric_names,
    promtool,
    rules,
)

JOBS = {"fleetwire-ingress": 9108, "fleetwire-processor": 9109, "fleetwire-poll": 9110}


def alerts() -> dict[str, dict[str, object]]:
    return {r["alert"]: r for r in rules() if "alert" in r}


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_passes_promtool_and_names_the_jobs_the_rules_use() -> None:
    config = PROMETHEUS_DIR / "prometheus.yml"
    result = promtool("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = {j["job_name"]: j for j in yaml.safe_load(config.read_text())["scrape_configs"]}
    for job, port in JOBS.items():
        [discovery] = jobs[job]["dns_sd_configs"]
        assert discovery["port"] == port
    # The rules name exactly the jobs scraped.
    named = {
        name
        for rule in rules()
        for selector in re.findall(r'job=~?"([^"]+)"', str(rule.get("expr", "")))
        for name in selector.split("|")
    }
    assert named == set(JOBS)


def test_the_issue_s_alerts_exist() -> None:
    referenced = {name: metric_names(str(rule["expr"])) for name, rule in alerts().items()}
    wanted = {
        "ingress 5xx ratio": ("fleetwire_ingress_requests_total", '"5.."'),
        "authentication failures per source": ("fleetwire_ingress_auth_failures_total", "source"),
        "publish latency": ("fleetwire_ingress_publish_seconds_bucket", "histogram_quantile"),
        "consumer lag growing": ("fleetwire_processor_consumer_lag_records", "deriv"),
        "dead-letter rate": ("fleetwire_processor_dead_letters_total", "rate"),
        "a process gone": ("up", "== 0"),
    }
    for what, (metric, marker) in wanted.items():
        matching = [
            n
            for n, used in referenced.items()
            if metric in used and marker in str(alerts()[n]["expr"])
        ]
        assert matching, f"no alert covers {what}"


@pytest.mark.parametrize("name", sorted(alerts()))
def test_every_alert_is_labelled_annotated_and_documented(name: str) -> None:
    rule = alerts()[name]
    assert rule["labels"]["severity"] in {"critical", "warning"}  # type: ignore[index]
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url"}  # type: ignore[arg-type]
    anchor = annotations["runbook_url"].split("#", 1)[1]  # type: ignore[index]
    headings = re.findall(r"^#{2,4} (\S+)\s*$", OPERATIONS.read_text(), re.MULTILINE)
    assert anchor in {h.lower() for h in headings}, f"docs/operations.md has no '### {name}'"
    assert anchor == name.lower()


@pytest.mark.parametrize("name", sorted(alerts()))
def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not(name: str) -> None:
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["alertname"] == name
    ]
    assert any(case.get("exp_alerts") for case in cases), f"{name} never fires in a test"
    assert any(not case.get("exp_alerts") for case in cases), f"{name} is never quiet in a test"


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le) (rate(a_bucket{x="y"}[5m]))', {"a_bucket"}),
        (
            "histogram_quantile(0.99, sum by (le, job) (rate(b_seconds_bucket[1m]))) > 1e3",
            {"b_seconds_bucket"},
        ),
        ('up{job=~"a|b"} == 0 and on (job) c offset 5m', {"up", "c"}),
        ("(sum(rate(d_total[10m])) or vector(0)) == 0", {"d_total"}),
        ('absent(up{job="fleetwire-ingress"})', {"up"}),
    ],
)
def test_metric_names_are_found_in_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
