"""The registry: providers found through their entry points, checked against each other,
and a broken plugin stopping the processes at start with one line that names it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from fleetwire.errors import ConfigError
from providers.builtin import ZUBIE
from providers.registry import GROUP, Installed, Registry, _load, installed
from tests.support.providers import REGISTRY

FLEETWIRE = Path(sys.executable).parent / "fleetwire"


def test_every_built_in_provider_is_found_through_its_entry_point() -> None:
    entries = {e.provider.name: e for e in installed().entries()}
    for name in ("azuga", "enode", "geotab", "motive", "samsara", "smartcar", "zf-scalar"):
        assert entries[name].distribution == "fleetwire"
    assert entries["zubie"].provider is ZUBIE
    assert installed() is installed(), "entry points are read once per process"


def test_two_providers_of_one_name_are_refused_naming_both() -> None:
    twin = Installed(dataclasses.replace(ZUBIE, title="Another Zubie"), "fleetwire-zubie2", "2.0")
    with pytest.raises(ConfigError) as caught:
        Registry([Installed(ZUBIE, "fleetwire", "0.1.0"), twin])
    message = str(caught.value)
    assert "'zubie' is registered twice" in message
    assert "fleetwire 0.1.0" in message
    assert "fleetwire-zubie2 2.0" in message
    assert "\n" not in message


def test_an_entry_point_must_carry_its_provider_s_name() -> None:
    entry = EntryPoint(name="acme", value="providers.builtin:ZUBIE", group=GROUP)
    with pytest.raises(ConfigError, match="registers provider 'zubie' under the name 'acme'"):
        _load(entry)


def test_an_entry_point_that_is_no_provider_is_refused() -> None:
    entry = EntryPoint(name="zubie", value="processors.zubie:normalize", group=GROUP)
    with pytest.raises(ConfigError, match=r"is a function, not a providers\.spec\.Provider"):
        _load(entry)


def test_a_declaration_naming_an_unknown_canonical_type_is_refused() -> None:
    typo = dataclasses.replace(ZUBIE, produces={"vehicle.trip.endd": ("trip_end",)})
    with pytest.raises(ConfigError, match=r"unknown canonical types vehicle\.trip\.endd"):
        Registry([Installed(typo, "fleetwire", "0.1.0")])


@pytest.mark.parametrize("name", ["Zubie", "zubie_2", "", "9lives", "a" * 41])
def test_a_name_that_cannot_name_a_topic_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="lowercase letters, digits and '-'"):
        Registry([Installed(dataclasses.replace(ZUBIE, name=name), "fleetwire", "0.1.0")])


def test_selecting_a_provider_that_is_not_installed_lists_the_installed_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        REGISTRY.select(["zubie", "acme"])
    assert str(caught.value) == (
        f"--provider acme: not installed; installed: {', '.join(REGISTRY.names)}"
    )


def _distribution(site: Path, module: str, source: str, entry: str) -> None:
    """A distribution installed into `site`, registering `entry` under the group."""
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / "fleetwire_provider_broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fleetwire-provider-broken\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entry}\n")


@pytest.mark.parametrize(
    ("source", "entry", "says"),
    [
        (
            "raise ImportError('no module named acme_sdk')\n",
            "acme = broken_plugin:PROVIDER",
            "provider plugin 'acme' (fleetwire-provider-broken 1.0, broken_plugin:PROVIDER) "
            "failed to load: ImportError: no module named acme_sdk",
        ),
        (
            "from providers.builtin import ZUBIE as PROVIDER\n",
            "zubie = broken_plugin:PROVIDER",
            "provider 'zubie' is registered twice",
        ),
    ],
    ids=["fails to import", "clashes"],
)
@pytest.mark.parametrize("command", ["ingress", "process", "poll"])
def test_a_broken_plugin_stops_the_processes_at_start_with_one_line(
    tmp_path: Path, source: str, entry: str, says: str, command: str
) -> None:
    _distribution(tmp_path, "broken_plugin", source, entry)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1"  # never reached: it stops before
    done = subprocess.run(
        [str(FLEETWIRE), command], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("fleetwire: error: ")
    assert says in line
