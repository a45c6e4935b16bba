"""`fleetwire provider new`: the distribution it writes, and what it refuses to do."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.cli import main
from fleetwire.errors import AuthenticationError, ConfigError, FleetwireError
from fleetwire.secret import Secret
from ingress.sources import Source
from ingress.verifier import Verifier
from providers import golden, scaffold
from providers.spec import NAME, Provider

PACKAGE = "fleetwire_provider_acme"
TREE = {
    "README.md",
    "pyproject.toml",
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/verifier.py",
    f"{PACKAGE}/payload.py",
    f"{PACKAGE}/normalizer.py",
    f"{PACKAGE}/samples/position.json",
    f"{PACKAGE}/golden/position.json",
    "tests/test_provider.py",
    "tests/test_conformance.py",
}
INSTALLED = {"zubie": "fleetwire 0.1.0"}


@pytest.fixture
def written(tmp_path: Path) -> Iterator[tuple[Path, ModuleType]]:
    """The `acme` distribution written into tmp_path, its package imported from there."""
    directory = scaffold.write("acme", tmp_path / "acme", INSTALLED)
    sys.path.insert(0, str(directory))
    try:
        yield directory, importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_distribution_holds_a_provider_its_sample_golden_file_tests_and_readme() -> None:
    assert set(scaffold.files("acme")) == TREE


def test_pyproject_registers_the_provider_under_its_name_and_depends_on_fleetwire() -> None:
    project = tomllib.loads(scaffold.files("acme")["pyproject.toml"])
    assert project["project"]["name"] == "fleetwire-provider-acme"
    assert project["project"]["dependencies"] == ["fleetwire>=0.1.0"]
    assert project["project"]["entry-points"]["fleetwire.providers"] == {
        "acme": f"{PACKAGE}:PROVIDER"
    }
    data = project["tool"]["setuptools"]["package-data"][PACKAGE]
    assert data == ["samples/*.json", "golden/*.json"]


def test_the_test_module_runs_the_conformance_suite_over_its_provider() -> None:
    module = scaffold.files("acme")["tests/test_conformance.py"]
    assert "\nfrom providers.conformance.suite import *  # noqa: F403\n" in module
    assert f"\nfrom {PACKAGE} import PROVIDER\n" in module
    assert "\nCONFORMANCE_PROVIDERS = [PROVIDER]\n" in module


def test_the_readme_says_how_to_develop_test_install_and_register() -> None:
    readme = scaffold.files("acme")["README.md"]
    for step in (
        "pip install -e '.[test]'",
        "pytest",
        "pip install /path/to/",
        'provider = "acme"',
    ):
        assert step in readme


def test_the_written_provider_is_a_valid_declaration(written: tuple[Path, ModuleType]) -> None:
    _, package = written
    provider = package.PROVIDER
    assert isinstance(provider, Provider)
    provider.check()
    assert provider.name == "acme"
    assert provider.types == ("vehicle.location.updated",)
    assert provider.verifier is not None
    assert issubclass(provider.verifier, Verifier)


def test_it_signs_with_lowercase_hex_hmac_in_a_header_of_its_own(
    written: tuple[Path, ModuleType],
) -> None:
    _, package = written
    source = Source(name="a", provider="acme", secrets=(Secret("new"), Secret("old")))
    verifier = package.PROVIDER.verifier(source)
    body = b'{"id": "d-1", "event": "position"}'
    expected = hmac.new(b"new", body, hashlib.sha256).hexdigest()
    assert verifier.sign(body, 0.0) == {"X-Acme-Signature": expected}
    old = hmac.new(b"old", body, hashlib.sha256).hexdigest()
    verifier.verify({"X-Acme-Signature": old}, body, 0.0)
    with pytest.raises(AuthenticationError):
        verifier.verify({"X-Acme-Signature": expected}, body + b" ", 0.0)
    assert verifier.delivery_id({}, body) == "d-1"


def test_the_golden_file_is_what_the_written_normalizer_makes_of_the_sample(
    written: tuple[Path, ModuleType],
) -> None:
    directory, package = written
    sample = (directory / PACKAGE / "samples" / "position.json").read_bytes()
    reviewed = json.loads((directory / PACKAGE / "golden" / "position.json").read_text())
    assert golden.canonical_events(package.PROVIDER, sample) == reviewed
    [event] = reviewed
    assert event["type"] == "vehicle.location.updated"
    assert event["source"] == "/fleetwire/acme"
    assert event["time"] == "2026-03-14T08:26:53.000Z"  # 09:26:53+01:00
    assert event["subject"] == "vin:1HGCM82633A004352"
    location = event["data"]["location"]
    assert (location["latitude"], location["longitude"]) == (52.520008, 13.404954)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"[1, 2", "invalid-json"),
        (b'{"event": "position", "vehicle": {"id": "v"}}', "invalid-payload"),
        (b'{"event": "trip"}', "unsupported-event"),
    ],
)
def test_what_the_written_normalizer_cannot_read_is_dead_lettered(
    written: tuple[Path, ModuleType], body: bytes, kind: str
) -> None:
    _, package = written
    [record] = golden.transform(package.PROVIDER, body)
    assert (record.event_type, record.error_kind) == (None, kind)


def test_the_written_python_passes_ruff(written: tuple[Path, ModuleType]) -> None:
    directory, _ = written
    for check in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *check],
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@settings(max_examples=25, deadline=None)
@given(st.from_regex(NAME, fullmatch=True))
def test_any_valid_name_gives_python_that_compiles_and_a_matching_entry_point(name: str) -> None:
    tree = scaffold.files(name)
    package = f"fleetwire_provider_{name.replace('-', '_')}"
    assert package.isidentifier()
    for path, text in tree.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
    project = tomllib.loads(tree["pyproject.toml"])
    assert project["project"]["entry-points"]["fleetwire.providers"] == {
        name: f"{package}:PROVIDER"
    }
    [event] = json.loads(tree[f"{package}/golden/position.json"])
    assert event["provider"] == name


@pytest.mark.parametrize(
    "name", ["", "Acme", "1acme", "acme_fleet", "acme fleet", "acme.fleet", "a" * 41]
)
def test_a_name_that_is_no_provider_name_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lowercase letters"):
        scaffold.write(name, tmp_path / "out", INSTALLED)
    assert not (tmp_path / "out").exists()


def test_an_installed_provider_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'zubie' is already installed \(from fleetwire"):
        scaffold.write("zubie", tmp_path / "out", INSTALLED)
    assert not (tmp_path / "out").exists()


def test_a_directory_that_is_not_empty_is_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FleetwireError, match="not an empty directory"):
        scaffold.write("acme", tmp_path, INSTALLED)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "notes.txt"
    with pytest.raises(FleetwireError, match="not an empty directory"):
        scaffold.write("acme", a_file, INSTALLED)


def test_an_empty_directory_is_written_into(tmp_path: Path) -> None:
    scaffold.write("acme", tmp_path, INSTALLED)
    assert {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()} == TREE


def test_the_command_writes_into_fleetwire_provider_name_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["provider", "new", "acme"]) == 0
    assert (tmp_path / "fleetwire-provider-acme" / "pyproject.toml").is_file()
    assert "fleetwire-provider-acme" in capsys.readouterr().out
    assert main(["provider", "new", "acme"]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert main(["provider", "new", "zubie", "--out", str(tmp_path / "z")]) == 2
    assert "already installed" in capsys.readouterr().err
