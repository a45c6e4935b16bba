"""The process settings, read from the environment once at start.

Each process builds one frozen `Settings`; nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fleetwire.connection import KafkaConnection, KafkaSecurity
from fleetwire.errors import ConfigError
from schemas.published import DEFAULT_SCHEMA_BASE_URL


class Delivery(StrEnum):
    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


E = TypeVar("E", bound=Enum)

DEFAULT_INGRESS_ADMIN_PORT = 9108
DEFAULT_PROCESSOR_ADMIN_PORT = 9109
DEFAULT_POLL_ADMIN_PORT = 9110
FOREVER = -1  # a retention of -1 keeps records until deleted by hand (Kafka's own convention)


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = "fleetwire"
    sources_path: Path = Path("deploy/local/sources.toml")
    http_host: str = "0.0.0.0"  # noqa: S104 - the ingress is meant to be reachable
    http_port: int = 8080
    admin_port: int | None = None  # None: the default of the process kind
    max_body_bytes: int = 1_048_576
    workers: int = 1
    log_format: LogFormat = LogFormat.TEXT
    log_level: str = "INFO"
    delivery: Delivery = Delivery.EXACTLY_ONCE
    publish_timeout_s: float = 3.0
    # How long an ingress client may take to send its headers, then its body (and how
    # long an idle keep-alive connection stays open): slow clients cannot pile up.
    client_timeout_s: float = 10.0
    max_in_flight: int = 1024
    raw_partitions: int = 6
    canonical_partitions: int = 6
    dedup_window: int = 100_000
    # Pull sources (`fleetwire poll`): the wait after an empty page (Geotab recommends 30 s),
    # the page size asked for, and the longest wait between retries of a failing source.
    poll_interval_s: float = 30.0
    poll_results_limit: int = 5_000
    poll_max_backoff_s: float = 300.0
    # Where the canonical events' `dataschema` points: base URL + schema file name.
    schema_base_url: str = DEFAULT_SCHEMA_BASE_URL
    # Topics as code (`fleetwire topics`). The defaults suit one local broker; production
    # values are in docs/operations.md.
    replication_factor: int = 1
    min_insync_replicas: int = 1
    raw_retention_hours: int = 7 * 24
    canonical_retention_hours: int = 7 * 24
    dlq_retention_hours: int = 28 * 24
    # Protocol, SASL and TLS (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*).
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)

    @property
    def kafka(self) -> KafkaConnection:
        """What every Kafka client of this process is built from (fleetwire.clients)."""
        return KafkaConnection(self.bootstrap_servers, self.kafka_security)

    def admin_port_for(self, kind: str) -> int:
        if self.admin_port is not None:
            return self.admin_port
        defaults = {"ingress": DEFAULT_INGRESS_ADMIN_PORT, "poll": DEFAULT_POLL_ADMIN_PORT}
        return defaults.get(kind, DEFAULT_PROCESSOR_ADMIN_PORT)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            bootstrap_servers=_text(env, "KAFKA_BOOTSTRAP_SERVERS", cls.bootstrap_servers),
            topic_prefix=_prefix(env),
            sources_path=Path(_text(env, "FLEETWIRE_SOURCES", str(cls.sources_path))),
            http_host=_text(env, "FLEETWIRE_HTTP_HOST", cls.http_host),
            http_port=_int(env, "FLEETWIRE_HTTP_PORT", cls.http_port, 0, 65535),
            admin_port=_opt_int(env, "FLEETWIRE_ADMIN_PORT", 0, 65535),
            max_body_bytes=_int(env, "FLEETWIRE_MAX_BODY_BYTES", cls.max_body_bytes, 1, 1 << 30),
            workers=_int(env, "FLEETWIRE_WORKERS", cls.workers, 1, 256),
            log_format=_enum(env, "FLEETWIRE_LOG_FORMAT", LogFormat, cls.log_format),
            log_level=_text(env, "FLEETWIRE_LOG_LEVEL", cls.log_level).upper(),
            delivery=_enum(env, "FLEETWIRE_DELIVERY", Delivery, cls.delivery),
            publish_timeout_s=_float(env, "FLEETWIRE_PUBLISH_TIMEOUT", cls.publish_timeout_s),
            client_timeout_s=_float(env, "FLEETWIRE_CLIENT_TIMEOUT", cls.client_timeout_s),
            max_in_flight=_int(env, "FLEETWIRE_MAX_IN_FLIGHT", cls.max_in_flight, 1, 1 << 20),
            raw_partitions=_int(env, "FLEETWIRE_RAW_PARTITIONS", cls.raw_partitions, 1, 10_000),
            canonical_partitions=_int(
                env, "FLEETWIRE_CANONICAL_PARTITIONS", cls.canonical_partitions, 1, 10_000
            ),
            dedup_window=_int(env, "FLEETWIRE_DEDUP_WINDOW", cls.dedup_window, 0, 100_000_000),
            poll_interval_s=_float(env, "FLEETWIRE_POLL_INTERVAL", cls.poll_interval_s),
            poll_results_limit=_int(
                env, "FLEETWIRE_POLL_RESULTS_LIMIT", cls.poll_results_limit, 1, 50_000
            ),
            poll_max_backoff_s=_float(env, "FLEETWIRE_POLL_MAX_BACKOFF", cls.poll_max_backoff_s),
            schema_base_url=_base_url(env, "FLEETWIRE_SCHEMA_BASE_URL", cls.schema_base_url),
            **_topic_settings(env),
            kafka_security=KafkaSecurity.from_env(env),
        )


def _topic_settings(env: Mapping[str, str]) -> dict[str, int]:
    replication = _int(env, "FLEETWIRE_REPLICATION_FACTOR", Settings.replication_factor, 1, 32)
    # One replica may be down while writes with acks=all still succeed.
    min_insync = _int(env, "FLEETWIRE_MIN_INSYNC_REPLICAS", max(1, replication - 1), 1, 32)
    if min_insync > replication:
        raise ConfigError(
            f"FLEETWIRE_MIN_INSYNC_REPLICAS={min_insync} is more than "
            f"FLEETWIRE_REPLICATION_FACTOR={replication}: no write could ever succeed; "
            "use at most the replication factor"
        )
    return {
        "replication_factor": replication,
        "min_insync_replicas": min_insync,
        "raw_retention_hours": _retention(
            env, "FLEETWIRE_RAW_RETENTION_HOURS", Settings.raw_retention_hours
        ),
        "canonical_retention_hours": _retention(
            env, "FLEETWIRE_CANONICAL_RETENTION_HOURS", Settings.canonical_retention_hours
        ),
        "dlq_retention_hours": _retention(
            env, "FLEETWIRE_DLQ_RETENTION_HOURS", Settings.dlq_retention_hours
        ),
    }


def _retention(env: Mapping[str, str], name: str, default: int) -> int:
    hours = _int(env, name, default, FOREVER, 1_000_000)
    if hours == 0:
        raise ConfigError(f"{name}=0 would delete records at once: use hours, or -1 to keep them")
    return hours


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


def _prefix(env: Mapping[str, str]) -> str:
    prefix = _text(env, "FLEETWIRE_TOPIC_PREFIX", Settings.topic_prefix)
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    if not set(prefix) <= allowed or len(prefix) > 180:
        raise ConfigError(
            f"FLEETWIRE_TOPIC_PREFIX={prefix!r} is not a valid Kafka topic prefix: "
            "use letters, digits, '.', '_' and '-' only"
        )
    return prefix


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    """An absolute http(s) URL that file names are appended to; the final `/` is added."""
    url = _text(env, name, default)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{name}={url!r} is not a base URL: use an absolute http:// or https:// URL "
            "without query or fragment, such as https://schemas.example.com/fleetwire/"
        )
    return url if url.endswith("/") else f"{url}/"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range: use {low} to {high}")
    return value


def _opt_int(env: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    if not env.get(name, "").strip():
        return None
    return _int(env, name, 0, low, high)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise ConfigError(f"{name}={value} is out of range: use more than 0 and at most 600 s")
    return value


def _enum(env: Mapping[str, str], name: str, kind: type[E], default: E) -> E:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise ConfigError(f"{name}={raw!r} is not valid: use one of {choices}") from None
