"""The version table, and the pom rendered from it for Maven."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from localkafka import DEFAULT_VERSION, VERSIONS
from localkafka.errors import LauncherError
from localkafka.fetch import render_pom, stamp
from localkafka.runtime import Runtime
from localkafka.versions import kafka_version

POM = "{http://maven.apache.org/POM/4.0.0}"
USED_TOOLS = {"storage", "topics", "acls", "console-consumer"}


def test_kafka_4_4_is_the_default_and_3_9_1_is_kept() -> None:
    assert DEFAULT_VERSION == "4.4.0"
    assert set(VERSIONS) == {"4.4.0", "3.9.1"}


def test_an_unsupported_version_lists_the_supported_ones() -> None:
    with pytest.raises(LauncherError, match=r"'3\.7\.0' is not supported.*4\.4\.0, 3\.9\.1"):
        kafka_version("3.7.0")


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_every_artifact_is_pinned_exactly(version: str) -> None:
    for artifact in VERSIONS[version].artifacts:
        assert re.fullmatch(r"\d+(\.\d+)+", artifact.version), artifact


def test_kafka_4_logs_through_log4j2_and_3_9_through_reload4j() -> None:
    new, old = VERSIONS["4.4.0"], VERSIONS["3.9.1"]
    names = {a.name for a in new.artifacts}
    assert {"log4j-slf4j2-impl", "log4j-core"} <= names
    assert new.logging.jvm_flag("/x.properties") == "-Dlog4j2.configurationFile=/x.properties"
    assert "slf4j-reload4j" in {a.name for a in old.artifacts}
    assert old.logging.jvm_flag("/x.properties") == "-Dlog4j.configuration=file:/x.properties"


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_the_logging_configs_exist(version: str) -> None:
    logging = VERSIONS[version].logging
    runtime = Runtime(version=VERSIONS[version], libs=Path("/libs"))
    assert (runtime.deploy_dir / logging.broker_config).is_file()
    assert (runtime.deploy_dir / logging.tools_config).is_file()
    assert "yaml" not in logging.broker_config


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_every_version_names_the_tools_the_project_uses(version: str) -> None:
    assert set(VERSIONS[version].tools) >= USED_TOOLS


def test_the_acl_tool_moved_in_kafka_4() -> None:
    assert VERSIONS["4.4.0"].tool_class("acls") == "org.apache.kafka.tools.AclCommand"
    assert VERSIONS["3.9.1"].tool_class("acls") == "kafka.admin.AclCommand"


def test_a_main_class_passes_through_and_an_unknown_name_is_refused() -> None:
    release = VERSIONS["4.4.0"]
    assert release.tool_class("org.example.Main") == "org.example.Main"
    with pytest.raises(LauncherError, match=r"unknown tool 'topic'.*topics"):
        release.tool_class("topic")


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_the_pom_declares_exactly_the_table(version: str) -> None:
    release = VERSIONS[version]
    root = ET.fromstring(render_pom(release))
    declared = [
        (d.findtext(f"{POM}groupId"), d.findtext(f"{POM}artifactId"), d.findtext(f"{POM}version"))
        for d in root.iter(f"{POM}dependency")
    ]
    assert declared == [(a.group, a.name, a.version) for a in release.artifacts]
    excluded = {e.findtext(f"{POM}artifactId") for e in root.iter(f"{POM}exclusion")}
    assert "connect-runtime" in excluded


def test_the_stamp_changes_with_the_table() -> None:
    assert stamp(VERSIONS["4.4.0"]) != stamp(VERSIONS["3.9.1"])
    assert stamp(VERSIONS["4.4.0"]) == stamp(VERSIONS["4.4.0"])
