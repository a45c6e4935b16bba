"""A private Kafka broker for tests that must stop one; the shared broker is never touched.

It runs the project's deploy/kafka/broker.sh on free ports with its own state directory.
KAFKA_BROKER_SCRIPT names another copy of the script; KAFKA_LIBS_DIR (read by the script)
lets it reuse jars that are already fetched.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.kafka import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(os.environ.get("KAFKA_BROKER_SCRIPT", ROOT / "deploy" / "kafka" / "broker.sh"))


class PrivateBroker:
    def __init__(self, state_dir: Path) -> None:
        if not SCRIPT.is_file():
            pytest.fail(f"no broker script at {SCRIPT}; set KAFKA_BROKER_SCRIPT")
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_STATE_DIR": str(state_dir),
            "KAFKA_HEAP_OPTS": "-Xms128m -Xmx256m",
        }

    def _run(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"broker.sh {command} failed:\n{done.stdout}{done.stderr}"

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")
