"""A three-node Kafka cluster of the failure tests' own: replication 3, min.insync.replicas 2.

Started once for the session on free ports, in a directory of its own, and stopped at
the end; the shared broker of the rest of the suite is never touched. Each test leaves
every node running again, so the next one starts from a whole cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localkafka import Cluster
from localkafka.settings import Settings

HEAP = "-Xms256m -Xmx768m"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # As for `make kafka`: KAFKA_VERSION picks the version, KAFKA_EXTRA_CONFIG measures
    # other broker settings, such as a shorter broker.session.timeout.ms; by default the
    # nodes run Kafka 4.4.0 with Kafka's own defaults.
    settings = Settings.from_env()
    started = Cluster.start(
        tmp_path_factory.mktemp("cluster"),
        version=settings.version,
        brokers=3,
        heap=HEAP,
        extra_config=settings.extra_config,
    )
    try:
        yield started
    finally:
        started.stop()
