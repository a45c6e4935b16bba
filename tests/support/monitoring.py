"""Prometheus in tests: the promtool and prometheus binaries, metric names in PromQL and in
an exposition, and a real Prometheus server on a free loopback port."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS = PROMETHEUS_DIR / "alerts.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "fleetwire.json"
OPERATIONS = ROOT / "docs" / "operations.md"

# Grafana's built-in variables, replaced by what Grafana would put there.
GRAFANA_INTERVALS = re.compile(
    r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}"
)
PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
    }
)
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count", "_created")
SUMMARY_SUFFIXES = ("_sum", "_count", "_created")


def tool(name: str) -> str:
    """The path of a Prometheus binary; fails (never skips) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH. `make test` installs it through `make tools` (Debian's "
            "`prometheus` package: apt-get install prometheus); elsewhere install Prometheus 2.x",
            pytrace=False,
        )
    return path


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- what the code exports ---------------------------------------------------------------


def exported_names(exposition: str) -> dict[str, str]:
    """Every series name an exposition can produce, with its family's type.

    Families declared without samples count (a labelled metric shows up only once used);
    histograms bring their _bucket/_sum/_count series.
    """
    names: dict[str, str] = {}
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names[name] = kind
            suffixes = {"histogram": HISTOGRAM_SUFFIXES, "summary": SUMMARY_SUFFIXES}.get(kind, ())
            if kind == "counter":
                suffixes = ("_total", "_created")
                name = name.removesuffix("_total")
            for suffix in suffixes:
                names.setdefault(name + suffix, kind)
        elif line and not line.startswith("#"):
            names.setdefault(re.split(r"[{ ]", line, maxsplit=1)[0], "untyped")
    return names


# --- what the rules and the dashboard refer to -----------------------------------------


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords, labels left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][\w:]*", text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function or aggregation
        if match.group(0).lower() not in PROMQL_WORDS:
            names.add(match.group(0))
    return names


def grafana_to_promql(expr: str, interval: str = "5m") -> str:
    """A dashboard query as Grafana sends it: built-in intervals filled in. User variables
    only appear inside label-matcher strings, where any text is valid PromQL."""
    return GRAFANA_INTERVALS.sub(interval, expr)


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())  # type: ignore[no-any-return]


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels inside collapsed rows


def dashboard_queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query of every panel."""
    return [(p["title"], t["expr"]) for p in panels(board) for t in p.get("targets", [])]


def variable_metrics(board: dict[str, Any]) -> set[str]:
    """Metrics the template variables read (`label_values(metric, label)`)."""
    found = set()
    for variable in board["templating"]["list"]:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        found.update(re.findall(r"label_values\(\s*([A-Za-z_:][\w:]*)\s*,", text))
    return found


# --- a real Prometheus --------------------------------------------------------------------


class PrometheusServer:
    """Debian's `prometheus` on a loopback port, storing in a temporary directory."""

    def __init__(self, config: Path, data: Path, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"prometheus not ready after {timeout}s: {self.output()}")

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return self.api("query", query=expr)["result"]  # type: ignore[no-any-return]

    def wait_for(self, expr: str, timeout: float = 30) -> list[dict[str, Any]]:
        """The first non-empty result of `expr`, polled until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.5)

    def output(self) -> str:
        return self._log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()
