"""schemas/asyncapi.yaml matches the catalog, embeds the published schemas, and is valid AsyncAPI.

The AsyncAPI CLI (npm `@asyncapi/cli`, pinned) is installed into `.tools/asyncapi/`
(git-ignored) on first use and reused after; only the npm registry is needed. Without
npm the validation tests are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from commands import asyncapi
from fleetwire.topics import TopicLayout
from schemas.catalog import DOMAINS, EVENT_TYPES, EventType
from schemas.jsonschema import SCHEMA_DIR
from tests.support.providers import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools" / "asyncapi"
CLI_VERSION = "4.1.1"
CLI = TOOLS / "node_modules" / ".bin" / "asyncapi"
INSTALL_TIMEOUT_S = 840

RAW_HEADERS = {
    "fleetwire-source",
    "fleetwire-provider",
    "fleetwire-received-at",
    "fleetwire-request-id",
    "content-type",
    "traceparent",  # the trace context the ingress records on every raw record
}
DEAD_LETTER_HEADERS = RAW_HEADERS | {
    "fleetwire-error-kind",
    "fleetwire-error",
    "fleetwire-failed-at",
    "fleetwire-original-topic",
    "fleetwire-original-partition",
    "fleetwire-original-offset",
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(asyncapi.DOCUMENT.read_text())
    return loaded


def test_committed_document_matches_the_catalog() -> None:
    assert not asyncapi.stale(), "schemas/asyncapi.yaml is stale: run `make docs` and commit it"


def test_check_fails_until_the_document_is_written(tmp_path: Path) -> None:
    target = tmp_path / "asyncapi.yaml"
    assert asyncapi.main(["--check", "--file", str(target)]) == 1
    assert asyncapi.main(["--file", str(target)]) == 0
    assert asyncapi.main(["--check", "--file", str(target)]) == 0
    target.write_text(target.read_text().replace("fleetwire.canonical.trips", "x"))
    assert asyncapi.main(["--check", "--file", str(target)]) == 1


def test_every_domain_is_a_channel_keyed_by_subject(doc: dict[str, Any]) -> None:
    layout = TopicLayout()
    for domain in DOMAINS:
        channel = doc["channels"][f"canonical-{domain}"]
        assert channel["address"] == f"fleetwire.canonical.{domain}"
        kafka = channel["bindings"]["kafka"]
        assert kafka["topic"] == channel["address"]
        assert kafka["partitions"] == layout.canonical_partitions
        assert kafka["replicas"] == layout.replication_factor
        names = {t.name for t in EVENT_TYPES.values() if t.domain == domain}
        messages = [
            doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
            for ref in channel["messages"].values()
        ]
        assert {m["name"] for m in messages} == names
        for message in messages:
            assert message["contentType"] == "application/cloudevents+json"
            assert "subject" in message["bindings"]["kafka"]["key"]["description"]


def test_the_canonical_header_is_the_cloudevents_content_type(doc: dict[str, Any]) -> None:
    headers = doc["components"]["schemas"]["CanonicalHeaders"]
    assert headers["required"] == ["content-type"]
    assert headers["properties"]["content-type"]["const"] == "application/cloudevents+json"


def _with_component_refs(node: Any) -> Any:
    text = json.dumps(node).replace('"#/$defs/', '"#/components/schemas/')
    return json.loads(text)


@pytest.mark.parametrize("event_type", EVENT_TYPES.values(), ids=lambda t: t.name)
def test_each_payload_embeds_the_published_json_schema(
    doc: dict[str, Any], event_type: EventType
) -> None:
    schemas = doc["components"]["schemas"]
    payload = schemas[f"event.{event_type.name}"]
    envelope, specific = payload["allOf"]
    assert envelope == {"$ref": "#/components/schemas/CanonicalEvent"}
    assert specific["properties"]["type"]["const"] == event_type.name
    data_ref = specific["properties"]["data"]["$ref"]
    assert data_ref == f"#/components/schemas/{event_type.data.__name__}"
    published = json.loads((SCHEMA_DIR / event_type.schema_file).read_text())
    for name, schema in _with_component_refs(published["$defs"]).items():
        assert schemas[name] == schema, f"{name} differs from {event_type.schema_file}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_raw_and_dead_letter_topics_carry_the_contract_headers(
    doc: dict[str, Any], provider: str
) -> None:
    for kind, required in (("raw", RAW_HEADERS), ("dlq", DEAD_LETTER_HEADERS)):
        channel = doc["channels"][f"{kind}-{provider}"]
        assert channel["address"] == f"fleetwire.{kind}.{provider}"
        message = doc["components"]["messages"][f"{kind}-{provider}"]
        headers = message["headers"]
        assert set(headers["required"]) == required
        assert "delivery id" in message["bindings"]["kafka"]["key"]["description"]
    if provider == "telematica":
        assert "svix-id" in doc["components"]["messages"]["raw-telematica"]["headers"]["properties"]


def test_every_operation_names_messages_of_its_channel(doc: dict[str, Any]) -> None:
    for name, operation in doc["operations"].items():
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        for ref in operation["messages"]:
            prefix = f"#/channels/{channel}/messages/"
            assert ref["$ref"].startswith(prefix), name
            assert ref["$ref"].removeprefix(prefix) in doc["channels"][channel]["messages"]


# ----------------------------------------------------------------- the AsyncAPI CLI


def _cli_env() -> dict[str, str]:
    # Usage metrics off (they would be sent to a third party) and kept out of $HOME.
    metrics = TOOLS / "analytics.json"
    if not metrics.exists():
        metrics.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true"}))
    return {**os.environ, "CI": "true", "ASYNCAPI_METRICS_CONFIG_PATH": str(metrics)}


def _installed_version() -> str | None:
    package = TOOLS / "node_modules" / "@asyncapi" / "cli" / "package.json"
    if not (CLI.exists() and package.exists()):
        return None
    version: str = json.loads(package.read_text())["version"]
    return version


@pytest.fixture(scope="module")
def cli() -> Path:
    """The pinned AsyncAPI CLI, installed from the npm registry once (idempotent)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the AsyncAPI document is not validated")
    TOOLS.mkdir(parents=True, exist_ok=True)
    if _installed_version() != CLI_VERSION:
        manifest = TOOLS / "package.json"
        if not manifest.exists():
            manifest.write_text(json.dumps({"name": "fleetwire-asyncapi-tools", "private": True}))
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", f"@asyncapi/cli@{CLI_VERSION}"],
            cwd=TOOLS,
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    assert _installed_version() == CLI_VERSION
    return CLI


def validate(cli: Path, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli), "validate", str(document)],
        cwd=TOOLS,
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.timeout(INSTALL_TIMEOUT_S + 120)
def test_the_asyncapi_cli_finds_the_document_valid(cli: Path) -> None:
    result = validate(cli, asyncapi.DOCUMENT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is valid" in output
    assert "0 errors" in output or "error" not in output.lower()


@pytest.mark.timeout(INSTALL_TIMEOUT_S + 120)
def test_the_asyncapi_cli_rejects_a_broken_document(cli: Path, tmp_path: Path) -> None:
    """The validation can fail: an operation with an AsyncAPI 2 action is refused."""
    broken: dict[str, Any] = yaml.safe_load(asyncapi.DOCUMENT.read_text())
    broken["operations"]["publish-canonical-trips"]["action"] = "publish"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False))
    result = validate(cli, path)
    assert result.returncode != 0, result.stdout + result.stderr
