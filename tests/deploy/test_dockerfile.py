"""The container image, checked statically (Docker is not needed to run the suite)."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

from tests.support.deployment import CONTRACT_PORTS, settings_for, settings_variables, subcommands
from tests.support.monitoring import ROOT

Instruction = tuple[str, str]


def instructions() -> list[Instruction]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages() -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def ignored(path: str) -> bool:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    top = path.split("/", maxsplit=1)[0]
    return any(fnmatch.fnmatch(path, p.removeprefix("**/")) or top == p for p in patterns)


def test_two_stages_on_one_supported_slim_python() -> None:
    built = stages()
    assert len(built) >= 2
    images = {stage[0][1].split()[0] for stage in built}
    # The virtualenv is copied between stages: both must have the same interpreter.
    [image] = images
    assert re.fullmatch(r"python:3\.1[1-3]-slim(-\w+)?", image), image
    assert any(k == "COPY" and r.startswith("--from=") for k, r in built[-1])


def test_the_image_installs_exactly_the_locked_set() -> None:
    build = stages()[0]
    copied = {s for k, r in build if k == "COPY" for s in r.split()[:-1]}
    assert {"uv.lock", "requirements/uv.txt"} <= copied
    runs = [r for k, r in build if k == "RUN"]
    assert any("--require-hashes" in r and "requirements/uv.txt" in r for r in runs)
    installs = [r for r in runs if " sync " in r or "pip install" in r]
    assert installs
    for run in installs:
        # Only uv (pinned by hash) comes from pip; everything else from the lock, unchanged.
        assert "--require-hashes" in run or ("uv sync" in run and "--locked" in run), run


def test_the_final_stage_runs_as_an_unprivileged_user() -> None:
    final = stages()[-1]
    [user] = [r for k, r in final if k == "USER"]
    assert user.split(":")[0] not in {"root", "0"}
    assert int(user.split(":")[0]) >= 1000
    # USER comes after everything that needs root
    assert [k for k, _ in final].index("USER") > max(
        i for i, (k, _) in enumerate(final) if k == "RUN"
    )


def test_entry_point_is_fleetwire_with_a_real_subcommand_and_the_contract_ports() -> None:
    final = dict(stages()[-1])
    assert json.loads(final["ENTRYPOINT"]) == ["fleetwire"]
    [command] = json.loads(final["CMD"])
    assert command in subcommands()
    assert {"ingress", "process", "topics"} <= subcommands()
    assert {int(p) for p in final["EXPOSE"].split()} == set(CONTRACT_PORTS.values())


def test_every_package_is_copied_and_nothing_copied_is_ignored() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set()
    for keyword, rest in stages()[0]:
        if keyword == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                if "*" in source:
                    continue  # optional files
                assert (ROOT / source).exists(), source
                assert not ignored(source), f"{source} is excluded by .dockerignore"
                copied.add(source)
    assert packages <= copied
    assert "pyproject.toml" in copied
    for heavy in (".git", ".venv", ".kafka", "tests", "deploy"):
        assert ignored(heavy), heavy


def test_image_environment_is_read_by_fleetwire() -> None:
    env = {}
    for keyword, rest in stages()[-1]:
        if keyword == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", rest))
    fleetwire = {k: v for k, v in env.items() if k.startswith(("FLEETWIRE_", "KAFKA_"))}
    assert fleetwire
    assert set(fleetwire) <= settings_variables()
    settings_for(fleetwire)  # valid values
