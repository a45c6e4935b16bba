"""How JVMs of one Kafka release are run: java, class path, logging, flags, CDS archive."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from localkafka.errors import LauncherError
from localkafka.versions import KafkaVersion

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"
# G1 with a short pause target as in Kafka's own kafka-run-class.sh; C1-only JIT
# (TieredStopAtLevel=1) starts faster on a 2-core machine and is plenty for a local broker.
DEFAULT_JVM_OPTS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)
TOOL_JVM_OPTS = ("-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")


@dataclass(frozen=True)
class Runtime:
    version: KafkaVersion
    libs: Path
    java: str = "java"
    heap: tuple[str, ...] = ("-Xms512m", "-Xmx1g")
    jvm_opts: tuple[str, ...] = DEFAULT_JVM_OPTS
    # A dynamic AppCDS archive of the classes the broker loads (see deploy/kafka/README.md).
    cds: bool = True
    deploy_dir: Path = DEPLOY_DIR

    @property
    def classpath(self) -> str:
        return f"{self.libs}/*"

    def check_java(self) -> None:
        if shutil.which(self.java) is None:
            raise LauncherError(f"java not found ({self.java}): install a JDK 17+ or set JAVA_HOME")

    def broker_command(self, config_file: Path, extra_flags: Sequence[str] = ()) -> list[str]:
        log_config = self.deploy_dir / self.version.logging.broker_config
        return [
            self.java,
            *self.heap,
            *self.jvm_opts,
            "-XX:+ExitOnOutOfMemoryError",
            *extra_flags,
            self.version.logging.jvm_flag(str(log_config)),
            "-cp",
            self.classpath,
            "kafka.Kafka",
            str(config_file),
        ]

    def tool_command(self, name_or_class: str, args: Sequence[str]) -> list[str]:
        log_config = self.deploy_dir / self.version.logging.tools_config
        return [
            self.java,
            *TOOL_JVM_OPTS,
            self.version.logging.jvm_flag(str(log_config)),
            "-cp",
            self.classpath,
            self.version.tool_class(name_or_class),
            *args,
        ]

    def run_tool(
        self, name_or_class: str, args: Sequence[str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own java command line
            self.tool_command(name_or_class, args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @property
    def cds_archive(self) -> Path:
        # The archive only fits the JVM that wrote it: its name depends on the java binary.
        java = shutil.which(self.java) or self.java
        key = zlib.crc32(os.path.realpath(java).encode())
        return self.libs / "cds" / f"kafka-{self.version.version}-{key}.jsa"

    def cds_flags(self, dump_file: Path, may_dump: bool) -> list[str]:
        """Use the archive when there is one; otherwise dump one at exit when allowed.

        The JVM checks the archive and runs without it when it does not match (-Xshare:auto),
        so a stale one only costs the speed-up.
        """
        dump_file.unlink(missing_ok=True)
        if not self.cds:
            return []
        if self.cds_archive.is_file() and self.cds_archive.stat().st_size > 0:
            return [f"-XX:SharedArchiveFile={self.cds_archive}"]
        if may_dump:
            # -Xlog:cds=off: the dump warns about every pre-Java-6 class it skips.
            return [f"-XX:ArchiveClassesAtExit={dump_file}", "-Xlog:cds=off"]
        return []

    def promote_cds_dump(self, dump_file: Path) -> None:
        """After a clean exit, move a freshly dumped archive into the libs dir."""
        try:
            if (
                dump_file.is_file()
                and dump_file.stat().st_size > 0
                and not self.cds_archive.exists()
            ):
                self.cds_archive.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.cds_archive.with_suffix(f".tmp{os.getpid()}")
                shutil.copyfile(dump_file, tmp)
                tmp.replace(self.cds_archive)
        except OSError:
            pass  # only the speed-up is lost
        dump_file.unlink(missing_ok=True)
