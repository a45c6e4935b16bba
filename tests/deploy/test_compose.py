"""deploy/compose.yaml, checked offline: the stack is complete and consistent."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from tests.support.deployment import CONTRACT_PORTS, settings_for, settings_variables, subcommands
from tests.support.monitoring import ROOT

COMPOSE = ROOT / "deploy" / "compose.yaml"
FLEETWIRE_SERVICES = {"topics": "topics", "ingress": "ingress", "processor": "process"}


def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]  # type: ignore[no-any-return]


def host_path(volume: str) -> tuple[Path, str]:
    source, target, *_ = volume.split(":")
    return (COMPOSE.parent / source).resolve(), target


def test_the_whole_stack_is_there() -> None:
    assert set(services()) >= {"kafka", *FLEETWIRE_SERVICES, "prometheus", "grafana"}
    for name, service in services().items():
        image = service["image"]
        assert ":" in image, f"{name}: pin the image"
        assert not image.endswith(":latest"), f"{name}: pin the image"


def test_kafka_is_apache_kafka_3_9_1_in_kraft_mode() -> None:
    kafka = services()["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not [k for k in env if "ZOOKEEPER" in k]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@")
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16  # a Kafka Uuid
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]) == "false"  # topics are fleetwire's
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["healthcheck"]["test"]


def test_fleetwire_services_run_real_subcommands_of_the_image_built_here() -> None:
    known = subcommands()
    for name, command in FLEETWIRE_SERVICES.items():
        service = services()[name]
        assert service["build"]["context"] == ".."
        assert (
            COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]
        ).is_file()
        assert service["command"][0] in known
        assert service["command"][0] == command
        assert service["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    # the topics exist before anything uses them
    for name in ("ingress", "processor"):
        assert services()[name]["depends_on"]["topics"]["condition"] == (
            "service_completed_successfully"
        )


def test_environment_is_what_fleetwire_reads_with_valid_values() -> None:
    read = settings_variables()
    for name in FLEETWIRE_SERVICES:
        env = {k: str(v) for k, v in services()[name]["environment"].items()}
        assert set(env) <= read, f"{name}: {set(env) - read} are not read by fleetwire"
        settings_for(env)


def test_ports_and_health_checks_use_the_contract_ports() -> None:
    ingress, processor = services()["ingress"], services()["processor"]
    published = {int(p.split(":")[-1]) for p in ingress["ports"]}
    assert published == {CONTRACT_PORTS["http"], CONTRACT_PORTS["ingress"]}
    assert settings_for(ingress["environment"]).http_port == CONTRACT_PORTS["http"]
    assert f"127.0.0.1:{CONTRACT_PORTS['ingress']}/readyz" in " ".join(
        ingress["healthcheck"]["test"]
    )
    assert [int(p) for p in processor["expose"]] == [CONTRACT_PORTS["processor"]]
    assert f"127.0.0.1:{CONTRACT_PORTS['processor']}/readyz" in " ".join(
        processor["healthcheck"]["test"]
    )


def test_mounted_files_exist_where_the_services_look_for_them() -> None:
    ingress = services()["ingress"]
    [sources] = [host_path(v) for v in ingress["volumes"]]
    assert sources[0].is_file()
    assert sources[1] == ingress["environment"]["FLEETWIRE_SOURCES"]

    prometheus = services()["prometheus"]
    mounts = dict(host_path(v)[::-1] for v in prometheus["volumes"] if v.startswith("."))
    config = "/etc/prometheus/prometheus.yml"
    assert f"--config.file={config}" in prometheus["command"]
    assert (mounts["/etc/prometheus"] / "prometheus.yml").is_file()
    assert (mounts["/etc/prometheus"] / "alerts.yml").is_file()

    grafana = services()["grafana"]
    mounts = dict(host_path(v)[::-1] for v in grafana["volumes"] if v.startswith("."))
    provider = yaml.safe_load(
        (mounts["/etc/grafana/provisioning"] / "dashboards" / "fleetwire.yaml").read_text()
    )
    dashboards = provider["providers"][0]["options"]["path"]
    assert list(mounts[dashboards].glob("*.json"))
    datasource = yaml.safe_load(
        (mounts["/etc/grafana/provisioning"] / "datasources" / "prometheus.yaml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
