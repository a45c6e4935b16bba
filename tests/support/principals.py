"""Acting as one principal of the secured local cluster, and telling a refusal from success.

The cluster is the session's `secured_kafka` (tests/support/secured.py); these helpers add
what a least-privilege test needs: the cluster's Kafka tools, test clients of any user,
and refusals whichever way aiokafka reports them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
)

from fleetwire.clients import client_options
from tests.support.secured import SecuredCluster, connection_of

log = logging.getLogger(__name__)
# What a refused operation looks like to aiokafka. Without DESCRIBE on a topic the
# principal cannot even learn that it exists: then the topic is "unknown", or the client
# waits for metadata that never comes, rather than an authorization error.
REFUSALS: tuple[type[BaseException], ...] = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
    KafkaTimeoutError,
    TimeoutError,
)


def admin_properties(secured: SecuredCluster) -> str:
    """The super-user's client settings file for Kafka's own tools."""
    return str(secured.described["admin_properties"])


def kafka_tool(secured: SecuredCluster, name: str, *args: str) -> Any:
    """Run one of Kafka's tools with the cluster's jars (a CompletedProcess)."""
    from localkafka import Cluster

    # The launcher keeps admin.properties in the cluster's state directory.
    return Cluster.load(Path(admin_properties(secured)).parent).tool(name, *args)


def options_of(secured: SecuredCluster, user: str) -> dict[str, Any]:
    """aiokafka options of a test client that logs in as `user` with SCRAM."""
    return client_options(connection_of(secured.scram_env(user)))


async def refused(what: str, operation: Callable[[], Awaitable[Any]], timeout: float = 15) -> str:
    """Run `operation`; return how it was refused. Fails the test if it succeeded.

    Callers must also check that the operation had no effect: an absent topic is a
    refusal only because the principal may not see it.
    """
    try:
        result = await asyncio.wait_for(operation(), timeout)
    except REFUSALS as exc:
        log.info("refused (%s): %s", type(exc).__name__, what)
        return type(exc).__name__
    raise AssertionError(f"{what}: allowed, returning {result!r}")
