"""Hostile raw records produced straight to the raw topics, read by a real `fleetwire process`.

Each must be dead-lettered with a reason (or, for a wrong type a provider's format
tolerates, normalized); none may crash or stall the processor: a valid record produced
after them on the same partition is normalized.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from fleetwire.clients import client_options
from fleetwire.envelope import RawRecord
from fleetwire.topics import TopicNames
from localkafka.ports import free_port
from processors.event import event_id
from processors.output import InRecord, Transformer
from schemas.catalog import EVENT_TYPES
from tests.faults.common import LEAN_TOPICS, write_sources
from tests.faults.hostile import Case, hostile_cases, out_of_range_cases, wrong_type_cases
from tests.support.kafka import connection, read_all
from tests.support.processes import Service, environment, run
from tests.support.providers import NORMALIZERS
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
# One in this many of the wrong-type and out-of-range shapes goes through the real
# process (all of them go through the transform in test_hostile_records.py).
EVERY = 40
RECEIVED_AT = "2026-01-02T03:04:05.678Z"
SENTINELS = {
    "azuga": sample("azuga", "VEHICLE_PAIRING"),
    "smartcar": sample("smartcar", "variant-vehicle-state-v4"),
    "telematica": sample("telematica", "vehicle.soc"),
    "zf-scalar": sample("zf-scalar", "unit.paired-v1"),
    "zubie": sample("zubie", "trip_start"),
}


def chosen_cases() -> list[Case]:
    cases = list(hostile_cases())
    for provider in sorted(NORMALIZERS):
        cases.extend(list(wrong_type_cases(provider))[::EVERY])
        cases.extend(list(out_of_range_cases(provider))[::EVERY])
    return cases


def raw_record(provider: str, key: str, body: bytes) -> RawRecord:
    return RawRecord(
        provider=provider, source=provider, key=key, body=body, headers={}, received_at=RECEIVED_AT
    )


def ids(records: list[Any]) -> set[str]:
    return {json.loads(record.value)["id"] for record in records}


def judge(
    keys: dict[tuple[str, int], tuple[Case, str]], dead: list[Any], canonical_ids: set[str]
) -> tuple[Counter[str], list[tuple[str, str, str]]]:
    """What became of each hostile record, and which of them went wrong."""
    dead_by_offset = {}
    for record in dead:
        headers = dict(record.headers)
        provider = record.topic.rsplit(".", 1)[-1]
        dead_by_offset[(provider, int(headers["fleetwire-original-offset"]))] = headers
    outcomes: Counter[str] = Counter()
    failures = []
    for (provider, offset), (case, key) in keys.items():
        headers = dead_by_offset.get((provider, offset))
        normalized = event_id(raw_record(provider, key, case.body), 0) in canonical_ids
        if headers is not None:
            kind = headers["fleetwire-error-kind"].decode()
            outcomes[f"dlq:{kind}"] += 1
            if kind == "internal-error" or not headers["fleetwire-error"]:
                failures.append((case.provider, case.what, kind))
        elif normalized and not case.must_dead_letter:
            outcomes["normalized"] += 1
        else:
            outcomes["missing"] += 1
            failures.append((case.provider, case.what, "neither dead-lettered nor normalized"))
    return outcomes, failures


def ingress_headers(case: Case) -> list[tuple[str, bytes]]:
    """What the ingress records with every raw record."""
    return [
        ("fleetwire-source", case.provider.encode()),
        ("fleetwire-provider", case.provider.encode()),
        ("fleetwire-received-at", RECEIVED_AT.encode()),
    ]


async def test_hostile_records_are_dead_lettered_and_the_processor_goes_on(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = environment(prefix, write_sources(tmp_path), **LEAN_TOPICS)
    created = run(["topics"], env)
    assert created.returncode == 0, created.stderr
    topics = TopicNames(prefix)
    admin = free_port()
    processor = Service(
        ["process"], {**env, "FLEETWIRE_ADMIN_PORT": str(admin)}, tmp_path / "processor.log"
    )
    cases = chosen_cases()
    keys: dict[tuple[str, int], tuple[Case, str]] = {}
    producer = AIOKafkaProducer(
        **client_options(connection(kafka)),
        acks="all",
        max_request_size=2 * 1024 * 1024,
        linger_ms=20,
    )
    await producer.start()
    try:
        processor.wait_http(f"http://127.0.0.1:{admin}/readyz")
        pending = []
        for index, case in enumerate(cases):
            key = f"hostile-{index}"
            sent = await producer.send(
                topics.raw(case.provider),
                case.body,
                key=key.encode(),
                headers=ingress_headers(case),
            )
            pending.append((case, key, sent))
        for case, key, sent in pending:
            keys[(case.provider, (await sent).offset)] = (case, key)
        # Then one valid record per provider, on the same single partition.
        transformer = Transformer(topics, NORMALIZERS)
        sentinels = {}
        for provider, body in SENTINELS.items():
            sentinel = Case(provider, "valid sample", body, must_dead_letter=False)
            key = f"sentinel-{provider}".encode()
            await producer.send_and_wait(
                topics.raw(provider), body, key=key, headers=ingress_headers(sentinel)
            )
            [out] = transformer.transform(
                provider,
                InRecord(
                    topic="",
                    partition=0,
                    offset=0,
                    key=key,
                    value=body,
                    headers=ingress_headers(sentinel),
                ),
            )[:1]
            assert out.error_kind is None, dict(out.headers)
            sentinels[provider] = (out.topic, json.loads(out.value)["id"])
        # Records after the hostile ones are processed: nothing crashed or stalled.
        found_sentinels = set()
        for topic, identifier in sentinels.values():
            found = await read_all(
                topic,
                until=lambda records, i=identifier: (
                    i in {json.loads(r.value)["id"] for r in records}
                ),
                timeout=60,
            )
            if identifier in {json.loads(r.value)["id"] for r in found}:
                found_sentinels.add(identifier)
        assert processor.process.poll() is None, processor.output()[-3000:]
        assert len(found_sentinels) == len(sentinels), processor.output()[-3000:]
        canonical = []
        for domain in sorted({kind.domain for kind in EVENT_TYPES.values()}):
            canonical.extend(await read_all(topics.canonical(domain), timeout=3))
        dead = []
        for provider in sorted(NORMALIZERS):
            dead.extend(await read_all(topics.dead_letter(provider), timeout=3))
    finally:
        await producer.stop()
        assert processor.stop() == 0, processor.output()[-3000:]

    outcomes, failures = judge(keys, dead, ids(canonical))
    print(
        f"\n[hostile processor] tried={len(keys)} "
        f"dead_lettered={sum(n for k, n in outcomes.items() if k.startswith('dlq:'))} "
        f"normalized={outcomes['normalized']} lost={outcomes['missing']} "
        f"sentinels_after={len(found_sentinels)}/{len(SENTINELS)} "
        f"{dict(sorted(outcomes.items()))}"
    )
    assert not failures, failures[:20]
    output = processor.output()
    assert "Traceback" not in output, output[-3000:]
