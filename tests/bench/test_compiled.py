"""The compiled receiver is skipped, with a reason, where it cannot be built."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench import compiled


def test_without_go_the_compiled_peer_is_skipped_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(compiled.Unavailable, match="Go is not installed"):
        compiled.build()


def test_a_failed_build_names_the_module_proxy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "dial tcp: proxy.golang.org: timeout")

    monkeypatch.setattr(shutil, "which", lambda _: "/usr/bin/go")
    monkeypatch.setattr(compiled, "BINARY", tmp_path / "bin" / "goreceiver")
    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(compiled.Unavailable, match="module proxy") as failed:
        compiled.build()
    assert "proxy.golang.org: timeout" in str(failed.value)


REQUIREMENT = re.compile(r"^\s*(?:require\s+)?(\S+\.\S+/\S+)\s+(v\S+)", re.MULTILINE)


def test_every_module_the_source_needs_is_pinned_in_go_sum() -> None:
    go_mod = (compiled.SOURCE / "go.mod").read_text()
    go_sum = (compiled.SOURCE / "go.sum").read_text()
    required = REQUIREMENT.findall(go_mod)
    assert "github.com/twmb/franz-go" in {module for module, _ in required}
    for module, version in required:
        assert f"{module} {version} h1:" in go_sum, f"{module} {version} is not in go.sum"
