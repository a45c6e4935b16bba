"""A provider as a plugin, end to end: scaffold it, install it beside fleetwire, run it.

What an operator would do from a fresh clone, with nothing but this repository and the
package registries:

1. install fleetwire from a copy of this checkout (the files a clone has, no build
   artefacts) into a virtualenv of its own, non-editable, with the locked dependencies
   (`uv sync --locked --no-editable`; uv comes from deploy/local/uv.sh);
2. `fleetwire provider new acme` with that installation, then install the written
   distribution into the same virtualenv (`uv pip install DIR[test]`) and run its own
   tests there (its provider tests and the conformance module);
3. `fleetwire providers` lists acme with its distribution and version;
4. `fleetwire topics` creates acme's topics, and `fleetwire acls` grants on them;
5. that virtualenv's `fleetwire ingress` and `fleetwire process` against the real broker,
   a source with `provider = "acme"`, `fleetwire send` of the scaffold's sample: 200, the
   raw record keyed by the body's id, and the canonical event (read committed) equal to
   the plugin's golden file but for what the source and the delivery change.

Cost: 40 to 50 s on a loaded two-core machine with uv's cache warm (a cold cache
downloads the locked dependencies once): about 10 s to install fleetwire and the plugin,
8 s for the plugin's own tests, 15 s for providers, topics and acls (each command's first
imports, in an installation without bytecode), 11 s for the pipeline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas.catalog import EVENT_TYPES
from tests.support.kafka import read_all
from tests.support.processes import environment, run, running_pipeline

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "fleetwire_provider_acme"
SOURCE = "acme-main"
SECRET = "acme-e2e-secret"
SOURCES = f'[[sources]]\nname = "{SOURCE}"\nprovider = "acme"\nsecrets = ["{SECRET}"]\n'
# What a clone does not have: virtualenvs, tools and brokers of this checkout, build
# artefacts and caches. Tests and the benchmark are not needed to install fleetwire.
NOT_IN_A_CLONE = {".git", ".tools", ".kafka", ".run", "tests", "bench"}
ARTEFACTS = shutil.ignore_patterns(
    ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@dataclass(frozen=True)
class Installation:
    fleetwire: Path  # the virtualenv's `fleetwire` command
    plugin: Path  # the directory `fleetwire provider new acme` wrote


def _clone(destination: Path) -> Path:
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = {n for n in names if n in NOT_IN_A_CLONE} if Path(directory) == ROOT else set()
        return top | set(ARTEFACTS(directory, names))

    shutil.copytree(ROOT, destination, ignore=ignore)
    return destination


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """fleetwire and the scaffolded acme plugin, installed into a new virtualenv."""
    work = tmp_path_factory.mktemp("plugin")
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    uv = _run([ROOT / "deploy/local/uv.sh"], ROOT, env).strip()
    clone = _clone(work / "fleetwire")
    venv = work / "venv"
    _run(
        [
            uv,
            "sync",
            "--quiet",
            "--locked",
            "--no-dev",
            "--no-editable",
            "--python",
            sys.executable,
        ],
        clone,
        {**env, "UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    fleetwire = venv / "bin" / "fleetwire"
    plugin = work / "fleetwire-provider-acme"
    _run([fleetwire, "provider", "new", "acme", "--out", plugin], work, env)
    _run(
        [uv, "pip", "install", "--quiet", "--python", venv / "bin/python", f"{plugin}[test]"],
        work,
        env,
    )
    return Installation(fleetwire, plugin)


def test_the_plugin_passes_its_own_tests_where_it_is_installed(
    installation: Installation,
) -> None:
    python = installation.fleetwire.parent / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FLEETWIRE_"))}
    out = _run(
        [python, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"], installation.plugin, env
    )
    assert re.search(r"\b\d+ passed\b", out), out
    if (ROOT / "providers" / "conformance" / "suite.py").exists():  # the suite must run
        assert "this fleetwire has no conformance suite" not in out, out


def test_fleetwire_lists_the_plugin_with_its_distribution(installation: Installation) -> None:
    listed = run(["providers"], os.environ, fleetwire=installation.fleetwire)
    assert listed.returncode == 0, listed.stderr
    block = listed.stdout.split("acme  (Acme, webhook)\n", 1)[1].split("\n\n", 1)[0]
    assert "from:    fleetwire-provider-acme 0.1.0" in block
    assert "signs:   hex HMAC-SHA256 of the body in X-Acme-Signature" in block
    assert "types:   vehicle.location.updated" in block
    assert "zubie  (Zubie, webhook)\n  from:    fleetwire 0.1.0" in listed.stdout


def test_its_topics_are_created_and_covered_by_the_acls(
    installation: Installation, kafka: str, prefix: str, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES)
    env = environment(prefix, sources)
    created = run(["topics"], env, fleetwire=installation.fleetwire)
    assert created.returncode == 0, created.stderr
    for topic in (f"{prefix}.raw.acme", f"{prefix}.dlq.acme"):
        assert f"created {topic}\n" in created.stdout

    acls = run(["acls"], env, fleetwire=installation.fleetwire)
    assert acls.returncode == 0, acls.stderr
    for principal, operation, topic in (
        ("ingress", "Write", f"{prefix}.raw.acme"),
        ("processor", "Read", f"{prefix}.raw.acme"),
        ("processor", "Write", f"{prefix}.dlq.acme"),
    ):
        assert _granted(acls.stdout, f"User:fleetwire-{principal}", operation, topic)


def _granted(commands: str, principal: str, operation: str, topic: str) -> bool:
    """Whether a printed kafka-acls command gives `principal` `operation` on `topic`."""
    for line in commands.splitlines():
        if f"--allow-principal {principal} " not in line or f"--operation {operation} " not in line:
            continue
        literal = re.search(r"--topic (\S+) --resource-pattern-type literal", line)
        prefixed = re.search(r"--topic (\S+) --resource-pattern-type prefixed", line)
        if (literal and literal[1] == topic) or (prefixed and topic.startswith(prefixed[1])):
            return True
    return False


async def test_a_signed_delivery_goes_through_the_whole_pipeline(
    installation: Installation, kafka: str, prefix: str, tmp_path: Path
) -> None:
    sample = installation.plugin / PACKAGE / "samples" / "position.json"
    golden = json.loads((installation.plugin / PACKAGE / "golden" / "position.json").read_text())
    with running_pipeline(prefix, SOURCES, tmp_path, fleetwire=installation.fleetwire) as pipeline:
        env = environment(prefix, tmp_path / "sources.toml")
        sent = run(
            ["send", SOURCE, str(sample), "--url", pipeline.url(SOURCE)],
            env,
            fleetwire=installation.fleetwire,
        )
        status, answer = sent.stdout.split(" ", 1)
        assert (sent.returncode, status, json.loads(answer)) == (0, "200", {"status": "accepted"})

        [raw] = await read_all(f"{prefix}.raw.acme", expect=1)
        assert raw.value == sample.read_bytes()
        assert raw.key == json.loads(sample.read_bytes())["id"].encode()  # the delivery id
        assert dict(raw.headers)["fleetwire-provider"] == b"acme"

        domain = EVENT_TYPES["vehicle.location.updated"].domain
        [record] = await read_all(f"{prefix}.canonical.{domain}", expect=1)
    [expected] = golden
    event = json.loads(record.value)
    assert record.key == b"vin:1HGCM82633A004352"
    assert event["source"] == f"/fleetwire/{SOURCE}"
    # The rest is the golden file's: only the source, the delivery and its time differ.
    differs = {"id", "source", "receivedtime", "traceparent"}
    assert {k: v for k, v in event.items() if k not in differs} == {
        k: v for k, v in expected.items() if k not in differs
    }
