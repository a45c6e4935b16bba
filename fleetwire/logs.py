"""Log set-up: plain text for people, one JSON object per line for machines.

Context travels in `extra=` with the names in `CONTEXT_FIELDS`; bodies and secrets never
do.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

from fleetwire.settings import LogFormat

CONTEXT_FIELDS = ("provider", "source", "delivery_id", "record", "request_id", "reason")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={record.__dict__[name]}"
            for name in CONTEXT_FIELDS
            if record.__dict__.get(name) is not None
        )
        return f"{line} [{context}]" if context else line


def configure(fmt: LogFormat, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiokafka logs every retry of a lost connection at ERROR; our own lines say it once.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL if level != "DEBUG" else "DEBUG")


def record_ref(topic: str, partition: int, offset: int) -> str:
    """The `topic[partition]@offset` form every log line uses for a Kafka record."""
    return f"{topic}[{partition}]@{offset}"
