"""The launcher's settings, read from the environment once and checked as a whole."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from localkafka import config
from localkafka.cluster import DEFAULT_LIBS_ROOT, PROJECT_ROOT
from localkafka.errors import LauncherError
from localkafka.runtime import DEFAULT_JVM_OPTS
from localkafka.versions import DEFAULT_VERSION, kafka_version


@dataclass(frozen=True)
class Settings:
    version: str = DEFAULT_VERSION
    brokers: int = 1
    security: str = config.PLAINTEXT
    port: int = 9092
    controller_port: int | None = None
    extra_config: Mapping[str, str] = field(default_factory=dict)
    state_dir: Path = PROJECT_ROOT / ".kafka" / "broker"
    libs_root: Path = DEFAULT_LIBS_ROOT
    heap: str | None = None
    jvm_opts: tuple[str, ...] = DEFAULT_JVM_OPTS
    cds: bool = True
    java: str = "java"
    start_timeout: float = 90
    stop_timeout: float = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        version = get("KAFKA_VERSION") or DEFAULT_VERSION
        kafka_version(version)
        jvm = get("KAFKA_JVM_PERFORMANCE_OPTS")
        cds = get("KAFKA_CDS") or "1"
        if cds not in {"0", "1"}:
            raise LauncherError(f"KAFKA_CDS must be 0 or 1, not {cds!r}")
        controller = get("KAFKA_CONTROLLER_PORT")
        return cls(
            version=version,
            brokers=config.validate_brokers(_integer("KAFKA_BROKERS", get("KAFKA_BROKERS") or "1")),
            security=config.validate_security(get("KAFKA_SECURITY") or config.PLAINTEXT),
            port=_port("KAFKA_PORT", get("KAFKA_PORT") or "9092"),
            controller_port=_port("KAFKA_CONTROLLER_PORT", controller) if controller else None,
            extra_config=config.parse_extra_config(get("KAFKA_EXTRA_CONFIG") or ""),
            state_dir=Path(get("KAFKA_STATE_DIR") or cls.state_dir),
            libs_root=Path(get("KAFKA_LIBS_DIR") or cls.libs_root),
            heap=get("KAFKA_HEAP_OPTS"),
            jvm_opts=tuple(jvm.split()) if jvm else DEFAULT_JVM_OPTS,
            cds=cds == "1",
            java=_java(env),
            start_timeout=_seconds("KAFKA_START_TIMEOUT", get("KAFKA_START_TIMEOUT") or "90"),
            stop_timeout=_seconds("KAFKA_STOP_TIMEOUT", get("KAFKA_STOP_TIMEOUT") or "30"),
        )


def _java(env: Mapping[str, str]) -> str:
    if env.get("JAVA"):
        return env["JAVA"]
    home = env.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    return "java"


def _integer(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise LauncherError(f"{name} must be a whole number, not {text!r}") from None


def _port(name: str, text: str) -> int:
    port = _integer(name, text)
    if not 0 < port < 65536:
        raise LauncherError(f"{name} must be a TCP port (1 to 65535), not {port}")
    return port


def _seconds(name: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if seconds <= 0:
        raise LauncherError(f"{name} must be a positive number of seconds, not {text!r}")
    return seconds
