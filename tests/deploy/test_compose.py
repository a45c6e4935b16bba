"""deploy/compose.yaml, checked offline: the stack is complete and consistent."""

from __future__ import annotations

import base64
import re
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from commands.acls import render_commands
from fleetwire.acls import Role, acl_plan
from localgeotab.server import Credentials
from poll.sources import load_pull_sources
from tests.support.deployment import CONTRACT_PORTS, settings_for, settings_variables, subcommands
from tests.support.monitoring import PROMETHEUS_DIR, ROOT
from tests.support.providers import POLLED

COMPOSE = ROOT / "deploy" / "compose.yaml"
FLEETWIRE_SERVICES = {
    "topics": "topics",
    "ingress": "ingress",
    "processor": "process",
    "poller": "poll",
}
GEOTAB_DEMO = "geotab-demo"  # the profile of the poller and its demo MyGeotab server


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
    for name in ("ingress", "processor", "poller"):
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
    assert f"127.0.0.1:{CONTRACT_PORTS['poll']}/readyz" in " ".join(
        services()["poller"]["healthcheck"]["test"]
    )


def test_the_default_stack_is_unchanged_and_the_geotab_demo_is_a_profile() -> None:
    profiled = {n for n, s in services().items() if "profiles" in s}
    assert profiled == {"poller", GEOTAB_DEMO}
    assert all(services()[n]["profiles"] == [GEOTAB_DEMO] for n in profiled)
    for name, service in services().items():  # nothing always started waits for them
        if name not in profiled:
            assert not profiled & set(service.get("depends_on", ())), name


def demo_server_option(name: str) -> str:
    command = services()[GEOTAB_DEMO]["command"]
    return str(command[command.index(name) + 1])


def test_the_poller_polls_the_demo_server_over_their_shared_loopback() -> None:
    demo, poller = services()[GEOTAB_DEMO], services()["poller"]
    # The same image, running the demo server instead of fleetwire.
    assert demo["image"] == poller["image"]
    assert demo["build"] == poller["build"]
    assert demo["entrypoint"] == ["python", "-m", "localgeotab"]
    help_text = subprocess.run(
        [sys.executable, "-m", "localgeotab", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    options = [a for a in demo["command"] if a.startswith("--")]
    assert options
    assert all(option in help_text for option in options)
    # A pull source may be plain http on loopback only: one network namespace for both.
    assert poller["network_mode"] == f"service:{GEOTAB_DEMO}"
    assert demo_server_option("--host") == "127.0.0.1"
    [mount] = [host_path(v) for v in poller["volumes"]]
    assert mount[1] == poller["environment"]["FLEETWIRE_SOURCES"]
    sources = load_pull_sources(mount[0], {}, polled=POLLED)
    assert sources, f"{mount[0]} has no pull source"
    port = int(demo_server_option("--port"))
    for source in sources.values():
        assert source.server == f"http://127.0.0.1:{port}"
        login = Credentials()
        assert source.database == login.database
        assert (source.username.value, source.password.value) == (login.username, login.password)


def test_prometheus_finds_the_poller_by_the_name_of_its_network() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "fleetwire-poll"]
    [discovery] = job["dns_sd_configs"]
    assert discovery["port"] == CONTRACT_PORTS["poll"]
    aliases = services()[GEOTAB_DEMO]["networks"]["default"]["aliases"]
    assert discovery["names"] == ["poller"]
    assert "poller" in aliases


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


SASL_SSL = ROOT / "deploy" / "compose.sasl-ssl.yaml"
COMPOSE_KAFKA = ROOT / "deploy" / "kafka" / "compose"
PRINCIPALS = {
    "topics": Role.TOPICS,
    "ingress": Role.INGRESS,
    "processor": Role.PROCESSOR,
    "poller": Role.POLLER,
}


def overlay() -> dict[str, Any]:
    return yaml.safe_load(SASL_SSL.read_text())  # type: ignore[no-any-return]


def secured_env(name: str) -> dict[str, str]:
    """A fleetwire service's environment with the overlay, merged as compose merges it."""
    merged = {**services()[name]["environment"], **overlay()["services"][name]["environment"]}
    return {k: str(v) for k, v in merged.items()}


def secret_files() -> dict[str, Path]:
    return {n: (COMPOSE.parent / s["file"]).resolve() for n, s in overlay()["secrets"].items()}


def test_the_sasl_ssl_overlay_runs_every_service_as_its_own_principal() -> None:
    read = settings_variables()
    secrets = secret_files()
    bundle = ssl.get_default_verify_paths().cafile
    assert bundle, "no system CA bundle to stand in for the broker's CA"
    for name, role in PRINCIPALS.items():
        env = secured_env(name)
        user = role.default_principal.removeprefix("User:")
        assert set(env) <= read, f"{name}: {set(env) - read} are not read by fleetwire"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9094"
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env["KAFKA_SASL_USERNAME"] == user
        assert env["KAFKA_SASL_PASSWORD_FILE"] == f"/run/secrets/{user}"
        assert overlay()["services"][name]["secrets"] == [user]
        assert "KAFKA_SASL_PASSWORD" not in env
        mounts = {v.split(":")[1] for v in overlay()["services"][name]["volumes"]}
        assert str(Path(env["KAFKA_SSL_CA_LOCATION"]).parent) in mounts
        # Valid settings, with the files where the containers have them.
        local = {
            **env,
            "KAFKA_SASL_PASSWORD_FILE": str(secrets[user]),
            "KAFKA_SSL_CA_LOCATION": bundle,
        }
        settings_for(local)


def test_the_sasl_ssl_broker_has_a_user_for_every_role_and_the_admin() -> None:
    broker = (COMPOSE_KAFKA / "broker.sh").read_text()
    [users] = re.findall(r"^USERS=\((.*)\)$", broker, re.M)
    expected = {"admin"} | {r.default_principal.removeprefix("User:") for r in Role}
    assert set(users.split()) == expected
    assert set(overlay()["services"]["kafka"]["secrets"]) == expected
    assert set(secret_files()) == expected
    assert all(path.is_file() and path.read_text().strip() for path in secret_files().values())
    assert "allow.everyone.if.no.acl.found=false" in broker
    # The broker's own ANONYMOUS (plain-text controller) is a super-user: loopback only.
    assert "CONTROLLER://127.0.0.1:9093" in broker
    kafka = overlay()["services"]["kafka"]
    assert kafka["depends_on"]["kafka-tls"]["condition"] == "service_completed_successfully"
    assert overlay()["services"]["acls"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert overlay()["services"]["topics"]["depends_on"]["acls"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_sasl_ssl_acls_are_what_fleetwire_acls_prints_for_the_stack() -> None:
    env = secured_env("topics")
    settings = settings_for({"FLEETWIRE_TOPIC_PREFIX": env["FLEETWIRE_TOPIC_PREFIX"]})
    printed = render_commands(
        acl_plan(settings.topic_prefix),
        env["KAFKA_BOOTSTRAP_SERVERS"],
        "/etc/kafka/secrets/admin.properties",
    )
    assert (COMPOSE_KAFKA / "acls.sh").read_text() == printed, (
        "regenerate deploy/kafka/compose/acls.sh with the command in compose.sasl-ssl.yaml"
    )
    assert "/opt/fleetwire/acls.sh" in " ".join(overlay()["services"]["acls"]["entrypoint"])
