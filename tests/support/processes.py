"""Running the real `fleetwire` commands as child processes, as an operator would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localkafka.ports import free_port
from tests.support.kafka import BOOTSTRAP

FLEETWIRE = Path(sys.executable).parent / "fleetwire"


def environment(prefix: str, sources: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETWIRE_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
            "FLEETWIRE_TOPIC_PREFIX": prefix,
            "FLEETWIRE_SOURCES": str(sources),
            "FLEETWIRE_HTTP_HOST": "127.0.0.1",
        }
    )
    env.update(extra)
    return env


def run(
    args: list[str], env: Mapping[str, str], timeout: float = 60, fleetwire: Path = FLEETWIRE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(fleetwire), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Service:
    """A long-running fleetwire process, its output kept in a log file."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], log: Path, fleetwire: Path = FLEETWIRE
    ) -> None:
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            [str(fleetwire), *args], env=dict(env), stdout=self._file, stderr=subprocess.STDOUT
        )

    def wait_http(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{url} not ready after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()
        return self.process.returncode


@dataclass
class Pipeline:
    """A running `fleetwire ingress` and `fleetwire process` on one topic prefix."""

    prefix: str
    webhooks: str  # http://127.0.0.1:PORT/webhooks
    processor_metrics: str

    def url(self, source: str) -> str:
        return f"{self.webhooks}/{source}"

    def processor_metric(self, name: str, **labels: str) -> float:
        """The sum of a processor metric's samples carrying `labels`."""
        with urllib.request.urlopen(self.processor_metrics, timeout=2) as response:
            text = response.read().decode()
        total = 0.0
        for found, value in re.findall(rf"^{name}(\{{[^}}]*\}})? (\S+)$", text, re.M):
            if all(f'{k}="{v}"' in found for k, v in labels.items()):
                total += float(value)
        return total


@contextmanager
def running_pipeline(
    prefix: str, sources: str, directory: Path, fleetwire: Path = FLEETWIRE, **env: str
) -> Iterator[Pipeline]:
    """Topics, then an ingress and a processor, both ready; stopped cleanly afterwards.

    `fleetwire` is the command to run them with (another virtualenv's, say).
    """
    sources_file = directory / "sources.toml"
    sources_file.write_text(sources)
    port, ingress_admin, processor_admin = free_port(), free_port(), free_port()
    base = environment(prefix, sources_file, **env)
    created = run(["topics"], base, fleetwire=fleetwire)
    assert created.returncode == 0, created.stderr
    ingress = Service(
        ["ingress"],
        {**base, "FLEETWIRE_HTTP_PORT": str(port), "FLEETWIRE_ADMIN_PORT": str(ingress_admin)},
        directory / "ingress.log",
        fleetwire,
    )
    processor = Service(
        ["process"],
        {**base, "FLEETWIRE_ADMIN_PORT": str(processor_admin)},
        directory / "processor.log",
        fleetwire,
    )
    try:
        ingress.wait_http(f"http://127.0.0.1:{ingress_admin}/readyz")
        processor.wait_http(f"http://127.0.0.1:{processor_admin}/readyz")
        yield Pipeline(
            prefix,
            f"http://127.0.0.1:{port}/webhooks",
            f"http://127.0.0.1:{processor_admin}/metrics",
        )
    finally:
        assert ingress.stop() == 0, ingress.output()
        assert processor.stop() == 0, processor.output()
