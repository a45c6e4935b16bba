"""`fleetwire tail [PATTERN]`: print canonical events as they arrive."""

from __future__ import annotations

import asyncio
import fnmatch
import sys

import orjson

from fleetwire import clients
from fleetwire.diagnosis import start_client
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from schemas.catalog import DOMAINS


async def tail(settings: Settings, pattern: str, from_beginning: bool, limit: int | None) -> int:
    topics = TopicNames(settings.topic_prefix)
    consumer = clients.consumer(
        settings.kafka,
        *(topics.canonical(d) for d in DOMAINS),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        isolation_level="read_committed",
    )
    await start_client(consumer, settings.kafka)
    print(
        f"tailing {topics.canonical('*')} for types matching {pattern!r} (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    shown = 0
    try:
        async for message in consumer:
            event = orjson.loads(message.value)
            if not fnmatch.fnmatchcase(str(event.get("type", "")), pattern):
                continue
            sys.stdout.write(orjson.dumps(event, option=orjson.OPT_INDENT_2).decode() + "\n")
            sys.stdout.flush()
            shown += 1
            if limit is not None and shown >= limit:
                break
    except asyncio.CancelledError:
        pass
    finally:
        await consumer.stop()
    return 0
