"""Broker failures on a three-node cluster under load: nothing acknowledged is lost or doubled.

Each test runs the real ingress and two exactly-once processors under a steady signed
load, breaks one broker in a different way, mends it, and then counts: every webhook
answered 200 is a raw record and exactly one canonical event read with read_committed.
The printed line of each test says how long the ingress answered 503 and how long the
processors stalled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka.client import CoordinationType

from localkafka import Cluster, Node
from processors.worker import group_id
from tests.cluster.rig import Rig, coordinator, leader_counts, partitions, replicated, rig, until

pytestmark = pytest.mark.cluster
STEADY_S = 4.0
DOWN_S = 10.0
HUNG_S = 20.0
BACKLOG_S = 3.0
ATTEMPTS = 3
SEEN_TWICE_S = 8.0

Fault = Callable[[Rig], Awaitable[None]]


async def under_load(
    cluster: Cluster, prefix: str, tmp_path: Path, name: str, fault: Fault
) -> None:
    """Steady load, the fault, the cluster whole again with every replica in sync, counted."""
    async with rig(cluster, prefix, tmp_path) as r:
        r.start_load()
        await asyncio.sleep(STEADY_S)
        r.mark_fault()
        await fault(r)
        await replicated(cluster.bootstrap, [r.raw_topic, r.canonical_topic])
        result = await r.finish(name)
    print("\n" + result.report())
    result.assert_whole()


async def raw_leader(r: Rig) -> Node:
    """The broker that leads most partitions of the raw topic."""
    leaders = await leader_counts(r.cluster.bootstrap, [r.raw_topic])
    return r.cluster.node(leaders.most_common(1)[0][0])


async def kill_and_restart(node: Node) -> None:
    node.kill()
    await asyncio.sleep(DOWN_S)
    await asyncio.to_thread(node.start)


async def test_sigkill_of_the_broker_leading_most_raw_partitions(
    cluster: Cluster, prefix: str, tmp_path: Path
) -> None:
    async def fault(r: Rig) -> None:
        await kill_and_restart(await raw_leader(r))

    await under_load(cluster, prefix, tmp_path, "leader SIGKILL", fault)


async def test_rolling_restart_of_every_broker(
    cluster: Cluster, prefix: str, tmp_path: Path
) -> None:
    async def fault(r: Rig) -> None:
        for node in cluster.nodes:
            await asyncio.to_thread(node.terminate)
            await asyncio.to_thread(node.start)
            # An operator waits for the replicas to catch up before the next node.
            await replicated(cluster.bootstrap, [r.raw_topic, r.canonical_topic])

    await under_load(cluster, prefix, tmp_path, "rolling restart", fault)


async def test_a_hung_broker_for_twenty_seconds(
    cluster: Cluster, prefix: str, tmp_path: Path
) -> None:
    async def fault(r: Rig) -> None:
        victim = await raw_leader(r)
        victim.pause()  # SIGSTOP: connections stay open, nothing answers
        await asyncio.sleep(HUNG_S)
        victim.resume()

    await under_load(cluster, prefix, tmp_path, "hung broker", fault)


async def test_sigkill_of_the_transaction_coordinator_with_transactions_open(
    cluster: Cluster, prefix: str, tmp_path: Path
) -> None:
    async def fault(r: Rig) -> None:
        # Each input partition has its own transactional id; the one of partition 0
        # picks the broker, and under load its transactions are open most of the time.
        transactional_id = f"{group_id(prefix)}.{r.raw_topic}.0"
        coordinator_id = await coordinator(
            cluster.bootstrap, CoordinationType.TRANSACTION, transactional_id
        )
        await kill_and_restart(cluster.node(coordinator_id))

    await under_load(cluster, prefix, tmp_path, "transaction coordinator SIGKILL", fault)


@pytest.mark.parametrize("delivery", ["exactly-once", "at-least-once"])
async def test_processor_killed_while_a_broker_is_down(
    cluster: Cluster, prefix: str, tmp_path: Path, delivery: str
) -> None:
    """Tells the two modes apart, which a broker failure alone does not.

    A processor is made to fall behind, a broker is killed (the group coordinator's where
    it can be), and the processor, let go again, writes while no commit can go through;
    then it is killed. At-least-once has written outputs whose input offsets were never
    committed, and its successor writes them again. Exactly-once had them in an open
    transaction, which is aborted, so read_committed readers see each event once.

    Whether the killed processor had a write in flight is up to timing: a dead broker is
    in the in-sync replicas of every partition until the controller fences it, so no high
    watermark moves and a processor writes only what it had fetched before. So the fault
    is repeated, in both modes alike, until a read_uncommitted reader has seen an event
    written twice (at least once, a duplicate; exactly once, an aborted write and its
    committed rewrite), or up to ATTEMPTS times. Exactly-once cannot always show the
    aborted write: the transaction coordinator's log waits on the dead broker as well, so
    a transaction begun after it died adds no partition and writes nothing.
    """
    async with rig(cluster, prefix, tmp_path, delivery=delivery) as r:
        r.start_load()
        await asyncio.sleep(STEADY_S)
        r.mark_fault()
        for _ in range(ATTEMPTS):
            await kill_a_processor_behind_a_dead_broker(r)
            await until(lambda: r.everything.repeated() > 0, timeout=SEEN_TWICE_S)
            if r.everything.repeated():
                break
            await asyncio.sleep(STEADY_S)
        result = await r.finish(f"processor SIGKILL, broker down, {delivery}")
    written_twice = r.everything.repeated()
    print(f"\n{result.report()} kills={len(r.killed)} written_twice_uncommitted={written_twice}")
    assert not result.raw_lost
    assert not result.canonical_lost
    if delivery == "exactly-once":
        assert not result.duplicated, sorted(result.duplicated.items())[:10]
    else:
        assert result.duplicated, f"none of {ATTEMPTS} processor kills caught a write in flight"


async def kill_a_processor_behind_a_dead_broker(r: Rig) -> None:
    victim = await spare_of_output(r)
    behind = r.running()
    r.pause_processor(behind)
    await asyncio.sleep(BACKLOG_S)  # shorter than the group's session timeout
    victim.kill()
    r.resume_processor(behind)
    await asyncio.sleep(3)  # well within the broker session timeout: nothing committed
    r.kill_processor(behind)
    await r.start_processor()
    await asyncio.sleep(7)
    await asyncio.to_thread(victim.start)
    await replicated(r.cluster.bootstrap, [r.raw_topic, r.canonical_topic])


async def spare_of_output(r: Rig) -> Node:
    """The group coordinator's broker, unless it leads a canonical partition written so
    far; then another broker that leads none. A write in flight to a partition whose leader
    is dead is not even appended, and there would be nothing to abort or to double. The
    load's webhooks are all of one vehicle, so its events go to one canonical partition,
    and two brokers are left to choose from."""
    written = r.watcher.partitions()
    assert written, "no canonical event was written before the fault"
    found = await partitions(r.cluster.bootstrap, [r.canonical_topic])
    leaders = {meta.leader for tp, meta in found.items() if tp.partition in written}
    group = await coordinator(r.cluster.bootstrap, CoordinationType.GROUP, group_id(r.prefix))
    spare = [n.id for n in r.cluster.nodes if n.id not in leaders]
    assert spare, f"canonical partitions {sorted(written)} are led by every broker"
    return r.cluster.node(group if group in spare else spare[0])
