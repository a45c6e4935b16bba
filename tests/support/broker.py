"""A private Kafka broker for tests that must stop one; the shared broker is never touched.

It is a single-node localkafka cluster on free ports with its own state directory, of the
version in KAFKA_VERSION (the default otherwise), so it matches the shared broker of the
run. KAFKA_LIBS_DIR lets it reuse jars that are already fetched.
"""

from __future__ import annotations

import os
from pathlib import Path

from localkafka import DEFAULT_VERSION, Cluster
from localkafka.cluster import DEFAULT_LIBS_ROOT
from localkafka.ports import free_port

HEAP = "-Xms128m -Xmx256m"


class PrivateBroker:
    def __init__(self, state_dir: Path) -> None:
        self._state_dir = state_dir
        # Chosen now, so the address is known (and kept) across stops and starts.
        self.port = free_port()
        self._controller_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.cluster: Cluster | None = None

    def start(self) -> None:
        self.cluster = Cluster.start(
            self._state_dir,
            version=os.environ.get("KAFKA_VERSION") or DEFAULT_VERSION,
            base_port=self.port,
            controller_port=self._controller_port,
            heap=HEAP,
            libs_root=Path(os.environ.get("KAFKA_LIBS_DIR") or DEFAULT_LIBS_ROOT),
        )

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
