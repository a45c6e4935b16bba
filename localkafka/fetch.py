"""Fetching a release's jars from Maven Central into their own libs directory.

Maven resolves the pinned artifacts (and what they depend on) from a pom rendered from the
version table; `mvn dependency:copy-dependencies` copies them into `<libs root>/<version>/`.
A stamp file holding the pom's checksum makes a second fetch free, and a lock makes
parallel fetches safe. Each version has its own directory, so switching needs no refetch.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from localkafka.errors import LauncherError
from localkafka.locks import locked
from localkafka.processes import classpath_users
from localkafka.versions import Artifact, KafkaVersion

STAMP = ".localkafka.stamp"


def render_pom(version: KafkaVersion) -> str:
    dependencies = "".join(_dependency(a) for a in version.artifacts)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        "  <groupId>dev.fleetwire</groupId>\n"
        "  <artifactId>fleetwire-local-kafka</artifactId>\n"
        f"  <version>{escape(version.version)}</version>\n"
        "  <packaging>pom</packaging>\n"
        f"  <dependencies>\n{dependencies}  </dependencies>\n"
        "</project>\n"
    )


def _dependency(artifact: Artifact) -> str:
    exclusions = "".join(
        f"        <exclusion><groupId>{escape(g)}</groupId>"
        f"<artifactId>{escape(n)}</artifactId></exclusion>\n"
        for g, n in (e.split(":", 1) for e in artifact.exclusions)
    )
    block = f"      <exclusions>\n{exclusions}      </exclusions>\n" if exclusions else ""
    return (
        "    <dependency>\n"
        f"      <groupId>{escape(artifact.group)}</groupId>\n"
        f"      <artifactId>{escape(artifact.name)}</artifactId>\n"
        f"      <version>{escape(artifact.version)}</version>\n"
        f"{block}"
        "    </dependency>\n"
    )


def stamp(version: KafkaVersion) -> str:
    digest = hashlib.sha256(render_pom(version).encode()).hexdigest()
    return f"kafka {version.version} pom-sha256 {digest}\n"


def libs_dir(libs_root: Path, version: KafkaVersion) -> Path:
    return libs_root / version.version


def ready(libs_root: Path, version: KafkaVersion) -> bool:
    stamp_file = libs_dir(libs_root, version) / STAMP
    try:
        return stamp_file.read_text() == stamp(version)
    except OSError:
        return False


def fetch(libs_root: Path, version: KafkaVersion, out: TextIO = sys.stderr) -> Path:
    """The directory holding this version's jars, fetched first when missing or stale."""
    target = libs_dir(libs_root, version)
    if ready(libs_root, version):
        return target
    libs_root.mkdir(parents=True, exist_ok=True)
    with locked(libs_root / f"{version.version}.lock"):
        if ready(libs_root, version):  # another process fetched while we waited
            return target
        if shutil.which("mvn") is None:
            raise LauncherError("mvn (Maven) is required to fetch the Kafka jars; install it")
        print(
            f"fetching Apache Kafka {version.version} from Maven Central...", file=out, flush=True
        )
        tmp = libs_root / f"{version.version}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            _copy_dependencies(version, tmp)
            users = classpath_users(target)
            if users:
                # A running JVM opens its class path jars lazily: replacing them under it
                # could break it later with NoClassDefFoundError.
                pids = " ".join(str(p) for p in users)
                raise LauncherError(
                    f"the Kafka {version.version} jars changed, but JVMs using {target} are "
                    f"running (pids {pids}); stop them first"
                )
            (tmp / STAMP).write_text(stamp(version))
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _copy_dependencies(version: KafkaVersion, into: Path) -> None:
    pom = into / "pom.xml"
    pom.write_text(render_pom(version))
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - Maven from PATH, as a developer runs it
            "mvn",
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={into}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    pom.unlink()
    # Maven's output is shown only on failure (even -q -B prints ANSI resets).
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise LauncherError(f"fetching the Kafka {version.version} jars with Maven failed")
    if not (into / version.main_jar).is_file():
        raise LauncherError(f"Maven did not produce {version.main_jar}")
