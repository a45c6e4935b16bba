"""`fleetwire replay` against the real broker: a dead letter re-driven once after a fix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from fleetwire.settings import Delivery, Settings
from processors import zubie
from processors.worker import Worker
from schemas.canonical import CanonicalEvent
from tests.support.backlog import produce, raw, trip
from tests.support.kafka import BOOTSTRAP
from tests.support.processes import run
from tests.support.runtime import events, processed, provision, read_to_end, start, until

pytestmark = pytest.mark.kafka


def before_the_fix(record: RawRecord) -> list[CanonicalEvent]:
    """The Zubie normalizer of a release that did not handle trip_end yet."""
    if json.loads(record.body)["event"] == "trip_end":
        raise RejectedRecord("unsupported-event", "zubie event 'trip_end' is not supported")
    return zubie.normalize(record)


async def test_replay_re_drives_a_dead_letter_once_after_the_fix(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic, dlq = f"{prefix}.raw.zubie", f"{prefix}.dlq.zubie"
    started, ended = raw(trip(1, "trip_start")), raw(trip(2, "trip_end"))
    await produce(raw_topic, [started, ended])

    # The old release dead-letters the trip_end and moves on.
    stop = asyncio.Event()
    settings = Settings(
        bootstrap_servers=BOOTSTRAP, topic_prefix=prefix, delivery=Delivery.EXACTLY_ONCE
    )
    old = asyncio.create_task(Worker(settings, ["zubie"], {"zubie": before_the_fix}).run(stop))
    try:
        await until(lambda: processed(prefix, raw_topic), 30, "the old release to finish")
    finally:
        stop.set()
        await old
    [dead] = await read_to_end(dlq)
    assert dict(dead.headers)["fleetwire-error-kind"] == b"unsupported-event"
    ref = f"{dlq}[{dead.partition}]@{dead.offset}"

    # A dry run lists it and writes nothing; a time range before it selects nothing.
    dry = run(["replay", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    assert ref in dry.stdout
    assert "would replay 1," in dry.stdout
    past = run(["replay", "--dry-run", "--until", "2000-01-01T00:00:00Z"], env)
    assert "would replay 0, 0 already replayed before, 1 not selected" in past.stdout
    assert len(await read_to_end(raw_topic)) == 2

    # Replayed once, however often replay runs.
    first = run(["replay", "--kind", "unsupported-event"], env)
    assert first.returncode == 0, first.stderr
    assert "replayed 1, 0 already replayed before" in first.stdout
    again = run(["replay"], env)
    assert again.returncode == 0, again.stderr
    assert "replayed 0, 1 already replayed before" in again.stdout
    raws = await read_to_end(raw_topic)
    assert len(raws) == 3
    [replayed] = [r for r in raws if "fleetwire-replay-of" in dict(r.headers)]
    assert (replayed.key, replayed.value) == (ended.key, ended.value)
    # In the partition of its delivery id, behind the delivery it replays.
    [original] = [r for r in raws if r.key == ended.key and r is not replayed]
    assert replayed.partition == original.partition
    assert replayed.offset > original.offset
    assert dict(replayed.headers)["fleetwire-replay-of"] == ref.encode()
    assert [(k, v) for k, v in replayed.headers if k != "fleetwire-replay-of"] == ended.headers

    # The fixed release turns it into its canonical event, with the id it always had.
    fixed = start(env, tmp_path, "fixed", "exactly-once")
    try:
        await until(lambda: processed(prefix, raw_topic), 30, "the fixed release")
    finally:
        assert fixed.service.stop() == 0, fixed.service.output()
    canonical = events(await read_to_end(f"{prefix}.canonical.trips"))
    assert sorted((e["type"], e["id"]) for e in canonical) == sorted(
        [
            ("vehicle.trip.started", started.expected_id()),
            ("vehicle.trip.ended", ended.expected_id()),
        ]
    )
    assert len(await read_to_end(dlq)) == 1
    last = run(["replay"], env)
    assert "replayed 0, 1 already replayed before" in last.stdout
