"""The command line and its settings: every mistake is one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from localkafka.__main__ import main
from localkafka.errors import LauncherError
from localkafka.settings import Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert (s.version, s.brokers, s.security, s.port, s.controller_port) == (
        "4.4.0",
        1,
        "plaintext",
        9092,
        None,
    )
    assert s.state_dir.parts[-2:] == (".kafka", "broker")
    assert not s.state_dir_given


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"KAFKA_VERSION": "4.4.0"}, "broker"),
        ({"KAFKA_VERSION": "3.9.1"}, "broker-3.9.1"),
        ({"KAFKA_BROKERS": "3"}, "broker-3-nodes"),
        ({"KAFKA_BROKERS": "3", "KAFKA_SECURITY": "secured"}, "broker-3-nodes-secured"),
        ({"KAFKA_VERSION": "3.9.1", "KAFKA_SECURITY": "secured"}, "broker-3.9.1-secured"),
    ],
)
def test_each_kind_of_cluster_has_its_own_default_state_dir(env: dict[str, str], name: str) -> None:
    assert Settings.from_env(env).state_dir.name == name


def test_every_variable_is_read() -> None:
    s = Settings.from_env(
        {
            "KAFKA_VERSION": "3.9.1",
            "KAFKA_BROKERS": "3",
            "KAFKA_SECURITY": "secured",
            "KAFKA_PORT": "29092",
            "KAFKA_CONTROLLER_PORT": "29093",
            "KAFKA_EXTRA_CONFIG": "a.b=1",
            "KAFKA_STATE_DIR": "/tmp/x",
            "KAFKA_HEAP_OPTS": "-Xmx1g",
            "KAFKA_CDS": "0",
            "KAFKA_START_TIMEOUT": "5",
            "JAVA": "/opt/java",
        }
    )
    assert s.version == "3.9.1"
    assert (s.brokers, s.security, s.port, s.controller_port) == (3, "secured", 29092, 29093)
    assert s.extra_config == {"a.b": "1"}
    assert s.state_dir == Path("/tmp/x")
    assert s.state_dir_given
    assert (s.heap, s.cds, s.start_timeout, s.java) == ("-Xmx1g", False, 5.0, "/opt/java")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAFKA_VERSION": "5.0.0"}, "supported: 4.4.0, 3.9.1"),
        ({"KAFKA_BROKERS": "two"}, "KAFKA_BROKERS must be a whole number"),
        ({"KAFKA_BROKERS": "2"}, "KAFKA_BROKERS=2 is not supported"),
        ({"KAFKA_SECURITY": "tls"}, "KAFKA_SECURITY='tls' is not supported"),
        ({"KAFKA_PORT": "70000"}, "KAFKA_PORT must be a TCP port"),
        ({"KAFKA_CONTROLLER_PORT": "x"}, "KAFKA_CONTROLLER_PORT must be a whole number"),
        ({"KAFKA_EXTRA_CONFIG": "oops"}, "KAFKA_EXTRA_CONFIG: 'oops' is not key=value"),
        ({"KAFKA_CDS": "yes"}, "KAFKA_CDS must be 0 or 1"),
        ({"KAFKA_STOP_TIMEOUT": "-1"}, "KAFKA_STOP_TIMEOUT must be a positive number"),
    ],
)
def test_a_bad_setting_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(LauncherError, match=message.replace(".", r"\.").replace("(", r"\(")):
        Settings.from_env(env)


def test_a_bad_setting_exits_1_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BROKERS", "2")
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("localkafka: KAFKA_BROKERS=2")
    assert err.count("\n") == 1


def test_an_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["launch"]) == 2
    assert "unknown command 'launch'" in capsys.readouterr().err


def test_commands_take_no_arguments_but_tool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "--brokers=3"]) == 2
    assert "takes no arguments" in capsys.readouterr().err
    assert main(["tool"]) == 2
    assert "usage: tool" in capsys.readouterr().err


def test_status_of_an_empty_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_STATE_DIR", str(tmp_path))
    assert main(["status"]) == 1
    assert "kafka not running" in capsys.readouterr().out
    assert main(["stop"]) == 0
    assert "kafka not running" in capsys.readouterr().out


def test_versions_lists_the_tool_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["versions"]) == 0
    out = capsys.readouterr().out
    assert "Kafka 4.4.0" in out
    assert "org.apache.kafka.tools.AclCommand" in out
