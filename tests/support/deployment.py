"""What deployment files may refer to: the real subcommands and environment variables."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from commands.cli import _parser
from fleetwire.settings import Settings
from providers.registry import installed

# The poller's admin port is documented in docs/operations.md ("Pull sources").
CONTRACT_PORTS = {"http": 8080, "ingress": 9108, "processor": 9109, "poll": 9110}
PROVIDERS = installed().names


def subcommands() -> set[str]:
    """The subcommands `fleetwire` accepts, read from its own argument parser."""
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return {name for action in actions for name in action.choices}


class _Recorder(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


def settings_variables() -> set[str]:
    """Every environment variable `Settings.from_env` reads."""
    recorder = _Recorder()
    Settings.from_env(recorder)
    return recorder.asked


def settings_for(env: Mapping[str, str]) -> Settings:
    """The settings a process would run with (raises ConfigError on invalid values)."""
    return Settings.from_env(dict(env))
