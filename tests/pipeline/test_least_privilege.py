"""Every role under its own principal, with exactly the ACLs `fleetwire acls` prints.

A secured broker of the test's own denies everything no ACL allows
(StandardAuthorizer, allow.everyone.if.no.acl.found=false). The ACLs applied are the
commands `fleetwire acls` printed, run through Kafka's own AclCommand as the super-user
with the same argument lists. Then `fleetwire topics`, the ingress, two exactly-once
processors (one logging in with SCRAM, one with its client certificate), `fleetwire
replay` and a downstream consumer each run as their own principal; every provider's
samples go through, and each role is refused what it must not do.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from commands.acls import command_lines
from fleetwire.acls import Role
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from localgeotab import Fleet, MyGeotab
from localkafka.ports import free_port
from schemas.catalog import DOMAINS
from tests.conftest import RUN_ID
from tests.pipeline.test_providers_end_to_end import CASES, SOURCES, post
from tests.support.geotabpoll import expected_keys, pull_source, write_sources
from tests.support.golden import canonical_events
from tests.support.mygeotab import serving_in_thread
from tests.support.principals import admin_properties, kafka_tool, options_of, refused
from tests.support.processes import Service, run
from tests.support.providers import PROVIDERS
from tests.support.runtime import Processor, assignment, until
from tests.support.samples import invalid_samples, valid_samples
from tests.support.secured import SecuredCluster, without_security

pytestmark = pytest.mark.kafka

ACL_COMMAND = "acls"  # the launcher names the class of the running version: it moved in 4.0
# Under uvloop a TLS connection's close can wait out the 30 s SSL shutdown timeout, once
# per client; `fleetwire replay` closes several. A limit for a hung command, not a target.
REPLAY_TIMEOUT_S = 240
PREFIX = f"t{RUN_ID}.acl"
CONSUMER_GROUP = f"{PREFIX}.downstream"
NAMES = TopicNames(PREFIX)
# The canonical event without what depends on when and how often it was delivered.
STABLE = ("type", "subject", "provider", "providereventtype", "data")
# The samples reuse their providers' example delivery ids (every ZF sample has the same
# eventBatchId, the Smartcar ones share two eventIds); each is given its own so that the
# processors' de-duplication sees distinct deliveries.
BODY_IDS = {"zf-scalar": "eventBatchId", "smartcar": "eventId"}


@dataclass
class Pipeline:
    secured: SecuredCluster
    acl_output: str
    webhooks: str
    processors: list[Processor]
    directory: Path
    base_env: dict[str, str]
    sent: list[tuple[str, bytes]]  # (provider, body) of every valid delivery
    dead: list[bytes]  # bodies that must be dead-lettered

    def env(self, role: Role, mtls: bool = False) -> dict[str, str]:
        """The role's process environment: SCRAM with a password file, or its certificate."""
        user = role.default_principal.removeprefix("User:")
        if mtls:
            return {**self.base_env, **self.secured.mtls_env(*self.secured.client_cert(user))}
        password = self.directory / f"{user}.password"
        password.write_text(self.secured.password(user) + "\n")
        return {**self.base_env, **self.secured.scram_env(user, password_file=password)}


def delivery(provider: str, path: Path) -> bytes:
    body = path.read_bytes()
    field = BODY_IDS.get(provider)
    if field is None:
        return body
    old = json.loads(body).get(field)
    if not isinstance(old, str):
        return body
    new = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{provider}/{path.name}"))
    return body.replace(f'"{old}"'.encode(), f'"{new}"'.encode())


def published(provider: str) -> list[Path]:
    """The samples the ingress publishes (a Smartcar VERIFY is answered, not published)."""
    return [p for p in valid_samples(provider) if "verify" not in p.name]


@pytest.fixture(scope="module")
def pipeline(
    secured_kafka: SecuredCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    secured = secured_kafka
    directory = tmp_path_factory.mktemp("least-privilege")
    sources = directory / "sources.toml"
    sources.write_text(SOURCES)
    base = {
        **{k: v for k, v in without_security(os.environ).items() if not k.startswith("FLEETWIRE_")},
        "FLEETWIRE_TOPIC_PREFIX": PREFIX,
        "FLEETWIRE_SOURCES": str(sources),
        "FLEETWIRE_HTTP_HOST": "127.0.0.1",
        "FLEETWIRE_DELIVERY": "exactly-once",
    }

    # The ACLs, exactly as printed, applied by Kafka's own tool as the super-user.
    printed = run(
        [
            "acls",
            "--command-config",
            admin_properties(secured),
            "--consumer-group",
            CONSUMER_GROUP,
        ],
        {**base, "KAFKA_BOOTSTRAP_SERVERS": secured.bootstrap},
    )
    assert printed.returncode == 0, printed.stderr
    commands = command_lines(printed.stdout)
    assert len(commands) == 17
    for args in commands:
        applied = kafka_tool(secured, ACL_COMMAND, *args)
        assert applied.returncode == 0, f"{args}:\n{applied.stdout}{applied.stderr}"

    pipeline = Pipeline(secured, printed.stdout, "", [], directory, base, [], [])
    created = run(["topics"], pipeline.env(Role.TOPICS))
    assert created.returncode == 0, created.stdout + created.stderr

    port, ingress_admin = free_port(), free_port()
    ingress = Service(
        ["ingress"],
        {
            **pipeline.env(Role.INGRESS),
            "FLEETWIRE_HTTP_PORT": str(port),
            "FLEETWIRE_ADMIN_PORT": str(ingress_admin),
        },
        directory / "ingress.log",
    )
    services = [ingress]
    try:
        admins = []
        for n in range(2):
            admin = free_port()
            admins.append(admin)
            services.append(
                Service(
                    ["process"],
                    # One over SASL_SSL, one over mutual TLS: the same principal either way.
                    {
                        **pipeline.env(Role.PROCESSOR, mtls=n == 1),
                        "FLEETWIRE_ADMIN_PORT": str(admin),
                    },
                    directory / f"processor-{n}.log",
                )
            )
        ingress.wait_http(f"http://127.0.0.1:{ingress_admin}/readyz")
        for service, admin in zip(services[1:], admins, strict=True):
            service.wait_http(f"http://127.0.0.1:{admin}/readyz")
        pipeline.webhooks = f"http://127.0.0.1:{port}/webhooks"
        pipeline.processors = [
            Processor(service, f"http://127.0.0.1:{admin}")
            for service, admin in zip(services[1:], admins, strict=True)
        ]
        # Both processors share the raw partitions before anything is sent, so that each
        # processes some of it.
        raw_partitions = {
            f"{NAMES.raw(p)}[{n}]"
            for p in PROVIDERS  # the processors consume every installed provider's raw topic
            for n in range(Settings().raw_partitions)
        }
        asyncio.run(
            until(
                lambda: (
                    all(assignment(p) for p in pipeline.processors)
                    and set().union(*(assignment(p) for p in pipeline.processors)) == raw_partitions
                ),
                60,
                "both processors to share the raw partitions",
            )
        )
        asyncio.run(_send_everything(pipeline))
        yield pipeline
    finally:
        codes = [(s.log.name, s.stop(), s.output()) for s in services]
        for name, code, output in codes:
            assert code == 0, f"{name} exited with {code}:\n{output}"


async def _send_everything(pipeline: Pipeline) -> None:
    for provider, case in CASES.items():
        url = f"{pipeline.webhooks}/{case.source}"
        for path in published(provider):
            body = delivery(provider, path)
            status, _, answer = await post(url, body, case.signed(body))
            assert status == 200, (path.name, answer)
            pipeline.sent.append((provider, body))
        for path in invalid_samples(provider):
            body = path.read_bytes()
            status, _, answer = await post(url, body, case.signed(body))
            assert status == 200, (path.name, answer)
            pipeline.dead.append(body)
    assert pipeline.dead, "the samples hold no body that must be dead-lettered"


def stable(event: dict[str, Any]) -> str:
    return json.dumps({k: event[k] for k in STABLE}, sort_keys=True)


async def test_every_canonical_event_reaches_the_downstream_consumer(pipeline: Pipeline) -> None:
    expected = Counter(
        stable(event)
        for provider, body in pipeline.sent
        for event in canonical_events(provider, body)
    )
    consumer = AIOKafkaConsumer(
        *(NAMES.canonical(d) for d in DOMAINS),
        **options_of(pipeline.secured, "fleetwire-consumer"),
        group_id=CONSUMER_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    received: list[dict[str, Any]] = []
    try:

        async def complete() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            received.extend(json.loads(r.value) for rs in batch.values() for r in rs)
            return len(received) >= sum(expected.values())

        await until(complete, 90, f"{sum(expected.values())} canonical events")
        await consumer.commit()  # the group is the consumer's own: READ on it suffices
    finally:
        await consumer.stop()
    assert Counter(stable(e) for e in received) == expected
    assert {e["source"] for e in received} == {f"/fleetwire/{c.source}" for c in CASES.values()}
    # Both processors took part, each under the processor's principal.
    assert all(assignment(p) for p in pipeline.processors)
    assert all(p.consumed() > 0 for p in pipeline.processors)


async def admin_read(
    secured: SecuredCluster, topic: str, expect: int, timeout: float = 60
) -> list[Any]:
    """Every record of `topic`, read as the super-user, once there are `expect` of them."""
    consumer = AIOKafkaConsumer(
        **options_of(secured, "admin"),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = await consumer._client._wait_on_metadata(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []

        async def enough() -> bool:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            records.extend(r for rs in batch.values() for r in rs)
            return len(records) >= expect

        await until(enough, timeout, f"{expect} records in {topic}")
        return records
    finally:
        await consumer.stop()


async def test_a_dead_letter_is_replayed_by_the_replay_principal(pipeline: Pipeline) -> None:
    dlq = NAMES.dead_letter("zubie")
    letters = await admin_read(pipeline.secured, dlq, len(pipeline.dead))
    assert sorted(r.value for r in letters) == sorted(pipeline.dead)

    replayed = run(["replay", "--provider", "zubie"], pipeline.env(Role.REPLAY), REPLAY_TIMEOUT_S)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"replayed {len(pipeline.dead)}," in replayed.stdout, replayed.stdout
    raw = await admin_read(
        pipeline.secured,
        NAMES.raw("zubie"),
        sum(p == "zubie" for p, _ in pipeline.sent) + 2 * len(pipeline.dead),
    )
    again = [r for r in raw if "fleetwire-replay-of" in dict(r.headers)]
    assert sorted(r.value for r in again) == sorted(pipeline.dead)
    # The ledger (read by the replay principal) keeps a second run from sending them again.
    twice = run(["replay", "--provider", "zubie"], pipeline.env(Role.REPLAY), REPLAY_TIMEOUT_S)
    assert twice.returncode == 0, twice.stdout + twice.stderr
    assert f"{len(pipeline.dead)} already replayed before" in twice.stdout, twice.stdout
    # The processors handled the replayed records too: still undecodable, dead-lettered again.
    await admin_read(pipeline.secured, dlq, 2 * len(pipeline.dead))


MARKER = b"must never be written"


async def produce(secured: SecuredCluster, user: str, topic: str, idempotent: bool = False) -> None:
    producer = AIOKafkaProducer(
        **options_of(secured, user),
        enable_idempotence=idempotent,
        acks="all" if idempotent else 1,
        request_timeout_ms=5000,
    )
    try:
        await producer.start()
        await producer.send_and_wait(topic, MARKER)
    finally:
        await producer.stop()


async def consume(secured: SecuredCluster, user: str, topic: str, group: str | None = None) -> Any:
    """Read `topic` as `user`; returns what was read (the caller expects a refusal)."""
    consumer = AIOKafkaConsumer(
        **options_of(secured, user),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=5000,
    )
    await consumer.start()
    try:
        if group is None:
            consumer.assign([TopicPartition(topic, 0)])
        else:
            consumer.subscribe([topic])
        for _ in range(25):  # every topic read here holds records by now
            batch = await consumer.getmany(timeout_ms=200)
            if batch:
                return batch
        # Nothing came: the topic exists and holds records, so the principal cannot see it.
        visible = await consumer.topics()
        assert topic not in visible, f"{topic} is visible to {user} but gave no records"
        raise TimeoutError(f"{topic} is invisible to {user}")
    finally:
        await consumer.stop()


async def create(secured: SecuredCluster, user: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(**options_of(secured, user), request_timeout_ms=5000)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topic, 1, 1)])
        [(name, code, *_)] = response.topic_errors
        if code:
            from aiokafka.errors import for_code

            raise for_code(code)(name)
    finally:
        await admin.close()


async def assert_untouched(secured: SecuredCluster, topic: str) -> None:
    """No record of the refused writes reached `topic` (read as the super-user)."""
    consumer = AIOKafkaConsumer(
        **options_of(secured, "admin"),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = await consumer._client._wait_on_metadata(topic)
        tps = [TopicPartition(topic, p) for p in partitions]
        end = await consumer.end_offsets(tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        seen: list[bytes] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            seen.extend(r.value for rs in batch.values() for r in rs)
        assert MARKER not in seen, f"a refused write reached {topic}"
    finally:
        await consumer.stop()


async def assert_absent(secured: SecuredCluster, topic: str) -> None:
    admin = AIOKafkaAdminClient(**options_of(secured, "admin"))
    await admin.start()
    try:
        assert topic not in await admin.list_topics(), f"a refused create made {topic}"
    finally:
        await admin.close()


async def test_the_ingress_can_neither_write_canonical_topics_nor_read_raw_ones(
    pipeline: Pipeline,
) -> None:
    secured, user = pipeline.secured, "fleetwire-ingress"
    for topic in (NAMES.canonical("trips"), NAMES.dead_letter("zubie"), NAMES.replay_ledger()):
        await refused(
            f"{user} writes {topic}", lambda t=topic: produce(secured, user, t, idempotent=True)
        )
        await assert_untouched(secured, topic)
    # WRITE implies DESCRIBE: the raw topic is visible to the ingress, and reading it is
    # refused outright.
    raw = NAMES.raw("zubie")
    how = await refused(f"{user} reads {raw}", lambda: consume(secured, user, raw))
    assert how == "TopicAuthorizationFailedError"
    canonical = NAMES.canonical("trips")
    await refused(f"{user} reads {canonical}", lambda: consume(secured, user, canonical))


async def test_the_consumer_reads_no_raw_or_dead_letter_topic_and_writes_nothing(
    pipeline: Pipeline,
) -> None:
    secured, user = pipeline.secured, "fleetwire-consumer"
    for topic in (NAMES.raw("zubie"), NAMES.dead_letter("zubie"), NAMES.replay_ledger()):
        await refused(f"{user} reads {topic}", lambda t=topic: consume(secured, user, t))
        await refused(
            f"{user} reads {topic} in its group",
            lambda t=topic: consume(secured, user, t, CONSUMER_GROUP),
        )
    for topic in (NAMES.canonical("trips"), NAMES.raw("zubie"), NAMES.dead_letter("zubie")):
        await refused(f"{user} writes {topic}", lambda t=topic: produce(secured, user, t))
        await assert_untouched(secured, topic)
    canonical = NAMES.canonical("trips")
    # Not even an idempotent producer's id: the consumer may write nowhere.
    await refused(
        f"{user} writes {canonical} idempotently",
        lambda: produce(secured, user, canonical, idempotent=True),
    )
    await assert_untouched(secured, canonical)
    # Another group than the one it was given is refused too.
    other = f"{PREFIX}.other"
    await refused(
        f"{user} reads {canonical} in group {other}",
        lambda: consume(secured, user, canonical, other),
    )


async def test_the_processor_cannot_create_topics_nor_write_raw_ones(pipeline: Pipeline) -> None:
    secured, user = pipeline.secured, "fleetwire-processor"
    for topic in (NAMES.canonical("stolen"), NAMES.raw("stolen"), f"{PREFIX}.anything"):
        how = await refused(f"{user} creates {topic}", lambda t=topic: create(secured, user, t))
        assert how == "TopicAuthorizationFailedError"
        await assert_absent(secured, topic)
    raw = NAMES.raw("zubie")
    await refused(f"{user} writes {raw}", lambda: produce(secured, user, raw))
    await assert_untouched(secured, raw)


async def test_the_outsider_can_do_nothing(pipeline: Pipeline) -> None:
    secured, user = pipeline.secured, "fleetwire-outsider"
    admin = AIOKafkaAdminClient(**options_of(secured, user))
    await admin.start()
    try:
        assert not [t for t in await admin.list_topics() if t.startswith(PREFIX)]
    finally:
        await admin.close()
    every = [NAMES.raw("zubie"), NAMES.canonical("trips"), NAMES.dead_letter("zubie")]
    for topic in [*every, NAMES.replay_ledger()]:
        await refused(f"{user} reads {topic}", lambda t=topic: consume(secured, user, t))
        await refused(f"{user} writes {topic}", lambda t=topic: produce(secured, user, t))
        await refused(
            f"{user} writes {topic} idempotently",
            lambda t=topic: produce(secured, user, t, idempotent=True),
        )
        await assert_untouched(secured, topic)
    canonical = NAMES.canonical("trips")
    await refused(
        f"{user} reads {canonical} in group {CONSUMER_GROUP}",
        lambda: consume(secured, user, canonical, CONSUMER_GROUP),
    )
    topic = f"{PREFIX}.outsider"
    await refused(f"{user} creates {topic}", lambda: create(secured, user, topic))
    await assert_absent(secured, topic)


async def test_the_poller_writes_its_feed_and_positions_and_nothing_else(
    pipeline: Pipeline,
) -> None:
    secured, user = pipeline.secured, "fleetwire-poller"
    fleet = Fleet(devices=2, entities=40)
    raw = NAMES.raw("geotab")
    with serving_in_thread(MyGeotab(fleet)) as url:
        admin = free_port()
        env = {
            **pipeline.env(Role.POLLER),
            "FLEETWIRE_SOURCES": str(write_sources(pipeline.directory, pull_source(url))),
            "FLEETWIRE_ADMIN_PORT": str(admin),
            "FLEETWIRE_POLL_INTERVAL": "0.5",
        }
        poller = Service(["poll"], env, pipeline.directory / "poll.log")
        try:
            poller.wait_http(f"http://127.0.0.1:{admin}/readyz", timeout=90)

            async def complete() -> bool:
                return set(await committed_keys(secured, raw)) >= expected_keys(fleet)

            await until(complete, 60, "every feed entity on the raw topic")
        finally:
            assert poller.stop() == 0, poller.output()
    keys = await committed_keys(secured, raw)
    assert set(keys) == expected_keys(fleet)
    assert max(keys.values()) == 1
    await refused(f"{user} reads {raw}", lambda: consume(secured, user, raw))
    for topic in (NAMES.canonical("trips"), NAMES.dead_letter("geotab"), NAMES.replay_ledger()):
        await refused(f"{user} writes {topic}", lambda t=topic: produce(secured, user, t))
        await assert_untouched(secured, topic)


async def committed_keys(secured: SecuredCluster, topic: str) -> Counter[bytes]:
    """The keys of every committed record of `topic`, read as the super-user."""
    consumer = AIOKafkaConsumer(
        **options_of(secured, "admin"),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = await consumer._client._wait_on_metadata(topic)
        tps = [TopicPartition(topic, p) for p in partitions]
        end = await consumer.end_offsets(tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        keys: Counter[bytes] = Counter()
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            keys.update(r.key for rs in batch.values() for r in rs)
        return keys
    finally:
        await consumer.stop()


def test_the_acls_applied_were_every_roles(pipeline: Pipeline) -> None:
    """The commands printed name every role's principal (the check that they all ran is
    the fixture's, and the roles above could only work because they did)."""
    principals = {
        args[args.index("--allow-principal") + 1] for args in command_lines(pipeline.acl_output)
    }
    assert principals == {role.default_principal for role in Role}
