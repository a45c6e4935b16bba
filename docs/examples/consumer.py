"""A minimal consumer of fleetwire's canonical events (pip install aiokafka)."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

Event = dict[str, Any]


def handle(event: Event) -> None:
    data = event["data"]
    match event["type"]:
        case "vehicle.trip.ended":
            print(event["subject"], "drove", data["trip"]["distance_km"], "km")
        case "vehicle.dtc.detected":
            print(event["subject"], "reports", data["dtc"]["code"], data["dtc"]["description"])
        case "vehicle.battery.low":
            print(event["subject"], "12 V battery at", data["battery_voltage"], "V")
        case _:
            pass  # a type this team does not use, or one added later: skip it


async def consume(
    domains: list[str],
    handler: Callable[[Event], None] = handle,
    prefix: str = "fleetwire",
    bootstrap_servers: str = "127.0.0.1:9092",
    group_id: str = "fleet-maintenance",  # your team's own group: it keeps your offsets
) -> None:
    consumer = AIOKafkaConsumer(
        *(f"{prefix}.canonical.{domain}" for domain in domains),
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        isolation_level="read_committed",  # never see records of aborted transactions
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    handled: set[str] = set()  # in production: a unique key on `id` in your own store
    try:
        async for record in consumer:
            event: Event = json.loads(record.value)
            if event["id"] not in handled:  # a redelivered event has the same id
                handler(event)
                handled.add(event["id"])
            await consumer.commit()
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(consume(["trips", "health"]))
