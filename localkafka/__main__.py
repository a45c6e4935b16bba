"""python -m localkafka {fetch|start|stop|restart|status|describe|tool|versions|help}

Environment (defaults in brackets):
  KAFKA_VERSION          Kafka release: 4.4.0 or 3.9.1                         [4.4.0]
  KAFKA_BROKERS          nodes: 1, or 3 to 5 (replication factor 3)                [1]
  KAFKA_SECURITY         plaintext, or secured (SASL_SSL + mTLS, ACLs)     [plaintext]
  KAFKA_EXTRA_CONFIG     "key=value,key=value" broker properties for every node   []
  KAFKA_PORT             node 1's client port; node n's ports are node 1's + 10(n-1),
                         SASL_SSL on KAFKA_PORT+2 and mTLS on +3 when secured  [9092]
  KAFKA_CONTROLLER_PORT  node 1's KRaft controller port                 [KAFKA_PORT+1]
  KAFKA_STATE_DIR        the cluster's files       [<project root>/.kafka/broker]
  KAFKA_LIBS_DIR         jars, one directory per version [<project root>/.kafka/libs]
  KAFKA_HEAP_OPTS        JVM heap per node  [-Xms512m -Xmx1g; 3+ nodes -Xms256m -Xmx768m]
  KAFKA_START_TIMEOUT    seconds to wait for the nodes to answer                  [90]
  KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL             [30]
  KAFKA_JVM_PERFORMANCE_OPTS  GC/JIT flags   [G1, 20 ms pause goal, C1-only JIT]
  KAFKA_CDS              1: reuse a class-data-sharing archive; 0: off             [1]
  JAVA_HOME / JAVA       java to use                                  [java on PATH]

tool NAME|CLASS [ARGS...] runs a Kafka CLI tool with the jars of the cluster's version;
`versions` lists the short names (topics, acls, console-consumer, ...).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from localkafka.cluster import Cluster, _read_spec, stop_legacy_broker
from localkafka.errors import LauncherError
from localkafka.fetch import fetch
from localkafka.runtime import Runtime
from localkafka.settings import Settings
from localkafka.versions import VERSIONS, kafka_version

COMMANDS = ("fetch", "start", "stop", "restart", "status", "describe", "tool", "versions", "help")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else ""
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command not in COMMANDS:
        print(__doc__, file=sys.stderr)
        print(f"localkafka: unknown command {command!r}", file=sys.stderr)
        return 2
    if command != "tool" and args:
        print(
            f"localkafka: {command} takes no arguments (settings come from the environment)",
            file=sys.stderr,
        )
        return 2
    try:
        settings = Settings.from_env()
        return run(command, args, settings)
    except LauncherError as exc:
        print(f"localkafka: {exc}", file=sys.stderr)
        return 1


def run(command: str, args: list[str], settings: Settings) -> int:
    if command == "tool":
        return tool(args, settings)
    return COMMAND_HANDLERS[command](settings)


def start(settings: Settings) -> Cluster:
    return Cluster.start(
        settings.state_dir,
        brokers=settings.brokers,
        version=settings.version,
        security=settings.security,
        base_port=settings.port,
        controller_port=settings.controller_port,
        heap=settings.heap,
        extra_config=settings.extra_config,
        libs_root=settings.libs_root,
        java=settings.java,
        jvm_opts=settings.jvm_opts,
        cds=settings.cds,
        start_timeout=settings.start_timeout,
        stop_timeout=settings.stop_timeout,
    )


def fetch_jars(settings: Settings) -> int:
    fetch(settings.libs_root, kafka_version(settings.version), out=sys.stdout)
    return 0


def start_cluster(settings: Settings) -> int:
    start(settings)
    return 0


def stop_cluster(settings: Settings) -> int:
    stop(settings)
    return 0


def restart(settings: Settings) -> int:
    stop(settings)
    start(settings)
    return 0


def describe(settings: Settings) -> int:
    print((Cluster.load(settings.state_dir).state_dir / "cluster.json").read_text(), end="")
    return 0


def stop(settings: Settings) -> None:
    state_dir = settings.state_dir.resolve()
    legacy = stop_legacy_broker(state_dir, settings.stop_timeout, sys.stdout)
    spec = _read_spec(state_dir) if state_dir.is_dir() else None
    if spec is not None:
        Cluster(state_dir, spec).stop()
    elif not legacy:
        print("kafka not running")


def status(settings: Settings) -> int:
    state_dir = settings.state_dir.resolve()
    spec = _read_spec(state_dir) if state_dir.is_dir() else None
    if spec is None:
        print(f"kafka not running (state dir {state_dir})")
        return 1
    cluster = Cluster(state_dir, spec)
    mode = f", {spec.security}" if spec.security != "plaintext" else ""
    nodes = f"{cluster.brokers} node{'s' * (cluster.brokers > 1)}"
    print(f"kafka {spec.version} ({nodes}{mode}, state dir {state_dir})")
    for line in cluster.status():
        print(f"  {line}")
    return 0 if cluster.healthy() else 1


def tool(args: list[str], settings: Settings) -> int:
    if not args:
        print("localkafka: usage: tool NAME|MAIN_CLASS [ARGS...]", file=sys.stderr)
        return 2
    # The jars of the cluster in KAFKA_STATE_DIR, unless KAFKA_VERSION says otherwise.
    spec = _read_spec(settings.state_dir.resolve()) if settings.state_dir.is_dir() else None
    version = spec.version if spec and not os.environ.get("KAFKA_VERSION") else settings.version
    kafka = kafka_version(version)
    libs = fetch(settings.libs_root, kafka, out=sys.stderr)
    runtime = Runtime(version=kafka, libs=libs, java=settings.java)
    command = runtime.tool_command(args[0], args[1:])
    runtime.check_java()
    sys.stdout.flush()
    os.execvp(command[0], command)  # noqa: S606 - replaces this process, as the shell did
    return 127  # not reached: execvp returns only by raising


def versions(_: Settings) -> int:
    for release in VERSIONS.values():
        print(f"Kafka {release.version}")
        for name, main_class in release.tools.items():
            print(f"  {name:<18} {main_class}")
    return 0


COMMAND_HANDLERS: dict[str, Callable[[Settings], int]] = {
    "fetch": fetch_jars,
    "start": start_cluster,
    "stop": stop_cluster,
    "restart": restart,
    "status": status,
    "describe": describe,
    "versions": versions,
}

if __name__ == "__main__":
    sys.exit(main())
