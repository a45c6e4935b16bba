"""The Kubernetes manifests, checked offline: structure, references between objects, and
agreement with what fleetwire reads and listens on."""

from __future__ import annotations

import ssl
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetwire.acls import Role
from fleetwire.settings import Settings
from ingress.sources import load_sources
from poll.sources import load_pull_sources
from tests.support.deployment import (
    CONTRACT_PORTS,
    settings_for,
    settings_variables,
    subcommands,
)
from tests.support.monitoring import ROOT
from tests.support.providers import POLLED, VERIFIERS

K8S = ROOT / "deploy" / "k8s"
EXAMPLE = K8S / "provider-secrets.example.yaml"
KAFKA_EXAMPLE = K8S / "kafka-credentials.example.yaml"
EXAMPLES = (EXAMPLE, KAFKA_EXAMPLE)
REQUIRED = {
    "metadata": ["metadata.name"],
    "Deployment": [
        "spec.selector.matchLabels",
        "spec.template.metadata.labels",
        "spec.template.spec.containers",
    ],
    "Service": ["spec.selector", "spec.ports"],
    "HorizontalPodAutoscaler": ["spec.scaleTargetRef.name", "spec.maxReplicas"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
    "Job": ["spec.template.spec.containers", "spec.template.spec.restartPolicy"],
}

CREDENTIALS = ("secrets", "basic_auth", "api_keys", "authorization")
PULL_CREDENTIALS = ("username", "password")  # a pull source's, one value each
# The Deployments that read the sources file, and the sources each takes from it.
SOURCE_READERS = {"fleetwire-ingress": "webhook", "fleetwire-poller": "pull"}

Obj = dict[str, Any]


def load(path: Path) -> list[Obj]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def objects() -> list[Obj]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [o for name in kustomization["resources"] for o in load(K8S / name)]


def by_kind(kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects() if o["kind"] == kind}


def dig(obj: Obj, path: str) -> Any:
    for key in path.split("."):
        obj = obj[key]
    return obj


def pod_specs() -> dict[str, Obj]:
    """Every pod template: deployments and the job."""
    return {
        name: o["spec"]["template"]["spec"]
        for kind in ("Deployment", "Job")
        for name, o in by_kind(kind).items()
    }


def container_env(pod: Obj, container: Obj, local_files: bool = True) -> dict[str, str]:
    """The environment a container gets, config maps resolved; secrets as their example.

    With `local_files`, paths into a mounted example Secret point at a local copy of it,
    so that settings which read their files at start can be checked here.
    """
    config_maps = {n: o["data"] for n, o in by_kind("ConfigMap").items()}
    examples = example_secrets()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = examples[ref["name"]][ref["key"]]
    if local_files:
        for mount_path, directory in local_mounts(pod, container).items():
            for name, value in env.items():
                if value.startswith(f"{mount_path}/"):
                    env[name] = str(directory / value.removeprefix(f"{mount_path}/"))
    return env


# Local copies of the example Secrets, removed when the test run ends.
LOCAL_SECRETS = tempfile.TemporaryDirectory(prefix="fleetwire-k8s-")


def local_mounts(pod: Obj, container: Obj) -> dict[str, Path]:
    """Mount path -> a local directory with the example Secret mounted there."""
    examples = example_secrets()
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    local = {}
    for mount in container.get("volumeMounts", []):
        name = volumes[mount["name"]].get("secret", {}).get("secretName")
        if name not in examples:
            continue
        directory = Path(LOCAL_SECRETS.name) / name
        if not directory.exists():
            directory.mkdir()
            for key, value in examples[name].items():
                (directory / key).write_text(stand_in(value))
        local[mount["mountPath"]] = directory
    return local


def stand_in(value: str) -> str:
    """A placeholder certificate becomes a real CA bundle (the system's): TLS settings load
    their CA at start."""
    if "BEGIN CERTIFICATE" not in value:
        return value
    bundle = ssl.get_default_verify_paths().cafile
    assert bundle, "no system CA bundle to stand in for the example CA"
    return Path(bundle).read_text()


def example_secrets() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["stringData"] for path in EXAMPLES for d in load(path)}


def test_kustomization_lists_every_manifest_but_the_example_secrets() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    examples = {p.name for p in EXAMPLES}
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", *examples}
    assert listed == present
    assert {p.name for p in K8S.glob("*.example.yaml")} == examples


def test_every_object_has_its_required_fields() -> None:
    for obj in [*objects(), *load(EXAMPLE), *load(KAFKA_EXAMPLE)]:
        assert obj["apiVersion"]
        assert obj["kind"]
        for path in REQUIRED["metadata"] + REQUIRED.get(obj["kind"], []):
            assert dig(obj, path), f"{obj['kind']} {obj['metadata'].get('name')}: {path}"
    kinds = {o["kind"] for o in objects()}
    assert kinds >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "Secret",
        "ConfigMap",
    }
    assert set(by_kind("Deployment")) == {
        "fleetwire-ingress",
        "fleetwire-processor",
        "fleetwire-poller",
    }


def test_selectors_match_their_pods() -> None:
    deployments = by_kind("Deployment")
    for deployment in deployments.values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in deployments.values()]
    for kind, path in (
        ("Service", "spec.selector"),
        ("PodDisruptionBudget", "spec.selector.matchLabels"),
    ):
        for name, obj in by_kind(kind).items():
            matched = [p for p in pods if dig(obj, path).items() <= p.items()]
            assert len(matched) == 1, f"{kind} {name} selects {len(matched)} deployments"
    for name, hpa in by_kind("HorizontalPodAutoscaler").items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments, name
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_containers_run_real_subcommands_non_root_with_requests() -> None:
    known = subcommands()
    commands = set()
    for name, pod in pod_specs().items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 1000
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            program, subcommand, *_ = container["command"]
            assert program == "fleetwire"
            assert subcommand in known, f"{name}: fleetwire {subcommand} does not exist"
            commands.add(subcommand)
            requests = container["resources"]["requests"]
            assert requests["cpu"]
            assert requests["memory"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert commands == {"ingress", "process", "poll", "topics"}


@pytest.mark.parametrize(
    ("deployment", "kind"),
    [
        ("fleetwire-ingress", "ingress"),
        ("fleetwire-processor", "processor"),
        ("fleetwire-poller", "poll"),
    ],
)
def test_probes_and_ports_are_the_contract_s(deployment: str, kind: str) -> None:
    pod = by_kind("Deployment")[deployment]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    settings = settings_for(container_env(pod, container))
    admin = settings.admin_port_for(kind)
    assert admin == CONTRACT_PORTS[kind]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        action = container[probe]["httpGet"]
        assert action["path"] == path
        assert ports.get(action["port"], action["port"]) == admin
    expected = {CONTRACT_PORTS[kind]} | ({settings.http_port} if kind == "ingress" else set())
    assert set(ports.values()) == expected
    assert settings.http_port == CONTRACT_PORTS["http"]
    annotations = by_kind("Deployment")[deployment]["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == admin


def test_services_target_declared_container_ports() -> None:
    for name, service in by_kind("Service").items():
        [deployment] = [
            d
            for d in by_kind("Deployment").values()
            if service["spec"]["selector"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        ports = {
            p["name"]: p["containerPort"]
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert target in ports or target in ports.values(), f"{name}: {target}"
            assert port["port"] == ports.get(target, target)


def test_environment_is_what_fleetwire_reads_and_secrets_come_from_secrets() -> None:
    read = settings_variables()
    referenced = env_references()
    for name, pod in pod_specs().items():
        for container in pod["containers"]:
            env = container_env(pod, container)
            settings_for(env)  # every value valid
            unknown = set(env) - read - referenced
            assert not unknown, f"{name}: {unknown} are read by nothing"
            for item in container.get("env", []):
                if item["name"] in referenced:
                    ref = item["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == "fleetwire-provider-secrets"
                    assert ref["key"] == item["name"], f"{name}: {item['name']} from {ref['key']}"
    for deployment, kind in SOURCE_READERS.items():
        pod = by_kind("Deployment")[deployment]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert env_references(kind) <= set(container_env(pod, container)), deployment


def env_references(kind: str | None = None) -> set[str]:
    """The environment variables the sources file takes credentials from: of its webhook
    sources, its pull sources, or (None) both."""
    names = set()
    for source in tomllib.loads(sources_file())["sources"]:
        pull = source["provider"] in POLLED
        if kind is not None and kind != ("pull" if pull else "webhook"):
            continue
        values = (
            [source[key] for key in PULL_CREDENTIALS]
            if pull
            else [v for key in CREDENTIALS for v in source.get(key, [])]
        )
        for value in values:
            assert value.startswith("env:"), (
                f"{source['name']}: credentials in the sources Secret must be env: references"
            )
            names.add(value.removeprefix("env:"))
    return names


def sources_file() -> str:
    return str(by_kind("Secret")["fleetwire-sources"]["stringData"]["sources.toml"])


@pytest.mark.parametrize("deployment", sorted(SOURCE_READERS))
def test_the_sources_secret_is_mounted_where_fleetwire_looks_and_loads(
    deployment: str, tmp_path: Path
) -> None:
    pod = by_kind("Deployment")[deployment]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = container_env(pod, container)
    expected = Path(settings_for(env).sources_path)
    volumes = {v["name"]: v for v in pod["volumes"]}
    [mount] = [
        m
        for m in container["volumeMounts"]
        if volumes[m["name"]].get("secret", {}).get("secretName") == "fleetwire-sources"
    ]
    # a directory mount (not subPath), so that an updated Secret reaches the pod
    assert "subPath" not in mount
    assert mount["readOnly"] is True
    assert expected == Path(mount["mountPath"]) / "sources.toml"
    document = tomllib.loads(sources_file())
    # A source for every provider installed: webhook ones for the ingress, polled ones for
    # the poller.
    assert {s["provider"] for s in document["sources"]} == set(VERIFIERS) | set(POLLED)
    path = tmp_path / "sources.toml"
    path.write_text(sources_file())
    # Each loads with its own Deployment's environment, as that process loads it.
    if SOURCE_READERS[deployment] == "webhook":
        sources = load_sources(path, VERIFIERS, env, polled=POLLED)
        assert {s.provider for s in sources.values()} == set(VERIFIERS)
    else:
        pulled = load_pull_sources(path, env, polled=POLLED)
        assert {s.provider for s in pulled.values()} == set(POLLED)
        entries = {s["name"]: s for s in document["sources"]}
        for source in pulled.values():
            assert source.server.startswith("https://"), source.name
            for key in PULL_CREDENTIALS:  # filled from the provider secrets in this pod
                name = entries[source.name][key].removeprefix("env:")
                assert getattr(source, key).value == env[name], f"{source.name}.{key}"
    assert env_references(SOURCE_READERS[deployment])


def test_one_poller_at_a_time_and_nothing_scales_or_keeps_it() -> None:
    # A second poller of a source fences the first: one replica, the old pod gone before
    # the new one starts.
    poller = by_kind("Deployment")["fleetwire-poller"]
    assert poller["spec"]["replicas"] == 1
    assert poller["spec"]["strategy"] == {"type": "Recreate"}
    assert all(
        h["spec"]["scaleTargetRef"]["name"] != "fleetwire-poller"
        for h in by_kind("HorizontalPodAutoscaler").values()
    )
    labels = poller["spec"]["template"]["metadata"]["labels"]
    assert not [
        name
        for name, budget in by_kind("PodDisruptionBudget").items()
        if budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]


def shared_settings() -> Settings:
    """The settings of fleetwire-config, as the topics Job runs with them."""
    pod = pod_specs()["fleetwire-topics"]
    [container] = pod["containers"]
    return settings_for(container_env(pod, container))


def test_processors_never_outnumber_the_raw_partitions() -> None:
    partitions = shared_settings().raw_partitions
    assert by_kind("HorizontalPodAutoscaler")["fleetwire-processor"]["spec"]["maxReplicas"] <= (
        partitions
    )


def test_production_topic_settings_are_declared_and_the_job_applies_them() -> None:
    config = shared_settings()
    assert config.replication_factor >= 3
    assert 2 <= config.min_insync_replicas < config.replication_factor
    job = by_kind("Job")["fleetwire-topics"]
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["fleetwire", "topics"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}
    assert job["spec"]["backoffLimit"] >= 1


def mounted_secret(pod: Obj, container: Obj, path: str) -> tuple[str, str]:
    """(Secret name, key) of the file at `path`, mounted from a Secret in `container`."""
    file = Path(path)
    volumes = {v["name"]: v for v in pod["volumes"]}
    [mount] = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == file.parent]
    assert "subPath" not in mount, "a directory mount, so that a rotated Secret reaches the pod"
    assert mount["readOnly"] is True
    return volumes[mount["name"]]["secret"]["secretName"], file.name


def test_every_pod_logs_in_to_kafka_over_tls_as_its_own_principal() -> None:
    examples = example_secrets()
    principals = {}
    for name, pod in pod_specs().items():
        [container] = pod["containers"]
        env = container_env(pod, container, local_files=False)
        settings_for(container_env(pod, container))  # valid, the files as mounted
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
        assert env["KAFKA_SASL_MECHANISM"].startswith("SCRAM-")
        assert all(not a.endswith(":9092") for a in env["KAFKA_BOOTSTRAP_SERVERS"].split(","))
        user = env["KAFKA_SASL_USERNAME"]
        principals[name] = user
        # The password is the Secret named after the principal, as Strimzi's User Operator
        # makes it from the KafkaUser that `fleetwire acls --format strimzi` prints.
        secret, key = mounted_secret(pod, container, env["KAFKA_SASL_PASSWORD_FILE"])
        assert secret == user, name
        assert key in examples[secret]
        secret, key = mounted_secret(pod, container, env["KAFKA_SSL_CA_LOCATION"])
        assert "BEGIN CERTIFICATE" in examples[secret][key]
        assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
    assert principals == {
        "fleetwire-ingress": Role.INGRESS.default_principal.removeprefix("User:"),
        "fleetwire-processor": Role.PROCESSOR.default_principal.removeprefix("User:"),
        "fleetwire-poller": Role.POLLER.default_principal.removeprefix("User:"),
        "fleetwire-topics": Role.TOPICS.default_principal.removeprefix("User:"),
    }


SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")


def test_no_manifest_holds_a_kafka_password() -> None:
    for obj in objects():
        if obj["kind"] == "ConfigMap":
            for key in obj["data"]:
                assert not any(w in key for w in SECRET_WORDS) or key.endswith("_FILE"), key
        if obj["kind"] == "Secret":  # only the sources file, whose credentials are env: refs
            assert set(obj["stringData"]) == {"sources.toml"}, obj["metadata"]["name"]
    for name, pod in pod_specs().items():
        for container in pod["containers"]:
            for item in container.get("env", []):
                if any(w in item["name"] for w in SECRET_WORDS):
                    assert "value" not in item, f"{name}: {item['name']} is a literal"
            assert "KAFKA_SASL_PASSWORD" not in {i["name"] for i in container.get("env", [])}
    for path in EXAMPLES:  # placeholders only
        for secret in load(path):
            for key, value in secret["stringData"].items():
                if key == "password":
                    assert value == "replace-me", f"{path.name}: {secret['metadata']['name']}"
