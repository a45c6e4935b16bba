"""The lock holds what the project declares, so that every install is one of its sets."""

from __future__ import annotations

import tomllib
from typing import Any

from tests.support.monitoring import ROOT


def lock() -> dict[str, Any]:
    return tomllib.loads((ROOT / "uv.lock").read_text())


def project_entry() -> dict[str, Any]:
    [entry] = [p for p in lock()["package"] if p["name"] == "fleetwire"]
    return entry


def test_every_optional_extra_is_locked() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = project_entry().get("optional-dependencies", {})
    assert set(declared["optional-dependencies"]) == set(locked)
    # The MSK IAM token provider's signer is offered as an extra, resolved like the rest.
    assert {d["name"] for d in locked["msk-iam"]} == {"aws-msk-iam-sasl-signer-python"}


def test_every_locked_package_is_pinned_by_hash() -> None:
    for package in lock()["package"]:
        if "source" in package and ("registry" in package["source"]):
            files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
            assert files, package["name"]
            assert all(f.get("hash", "").startswith("sha256:") for f in files), package["name"]


def test_the_lock_supports_every_python_the_project_does() -> None:
    assert lock()["requires-python"] == ">=3.11"
