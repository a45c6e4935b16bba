"""The local Kafka cluster for fleetwire's development and tests (standard library only).

    from localkafka import Cluster
    cluster = Cluster.start(state_dir, brokers=3, security="secured")

`python -m localkafka` (or deploy/kafka/broker.sh) is the command line; see
deploy/kafka/README.md.
"""

from localkafka.cluster import USERS, Cluster
from localkafka.errors import LauncherError
from localkafka.node import Node
from localkafka.versions import DEFAULT_VERSION, VERSIONS

__all__ = ["DEFAULT_VERSION", "USERS", "VERSIONS", "Cluster", "LauncherError", "Node"]
