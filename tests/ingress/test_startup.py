"""A bad sources file stops `fleetwire ingress` with one line, never showing a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetwire.errors import ConfigError
from fleetwire.settings import Settings
from ingress.server import build_config
from tests.support.processes import environment, run
from tests.support.providers import VERIFIERS

SECRET_VALUE = "whsec_this-is-not-base64!"


def settings_for(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return Settings(sources_path=path)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('provider = "telematica"\nsecrets = ["whsec_%%%"]', "must be base64"),
        ('provider = "telematica"\nsecrets = ["plain"]', "must start with 'whsec_'"),
        ('provider = "zubie"', "needs 'secrets'"),
        ('provider = "smartcar"\nsecrets = ["s"]\napi_keys = ["k"]', "does not use api_keys"),
        ('provider = "azuga"\napi_key_header = "X-Key"', "together"),
        ('provider = "zf-scalar"\nbasic_auth = ["u:p"]', "does not use basic_auth"),
    ],
)
def test_each_verifier_refuses_a_source_it_cannot_use(
    tmp_path: Path, entry: str, problem: str
) -> None:
    settings = settings_for(tmp_path, f'[[sources]]\nname = "s1"\n{entry}\n')
    with pytest.raises(ConfigError, match=problem) as info:
        build_config(settings, VERIFIERS)
    message = str(info.value)
    assert message.startswith(f"{settings.sources_path}: source 's1'")
    assert "\n" not in message


def test_every_provider_of_the_development_sources_builds() -> None:
    sources = Path(__file__).resolve().parents[2] / "deploy" / "local" / "sources.toml"
    config = build_config(Settings(sources_path=sources), VERIFIERS)
    # One source per installed webhook provider, named after it.
    assert sorted(v.source.provider for v in config.verifiers.values()) == sorted(VERIFIERS)
    assert sorted(config.verifiers) == sorted(VERIFIERS)
    for provider, verifier in config.verifiers.items():
        assert type(verifier) is VERIFIERS[provider]


def test_the_ingress_refuses_to_start_with_one_line_and_no_secret(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "tm"\nprovider = "telematica"\nsecrets = ["env:TM"]\n')
    done = run(["ingress"], {**environment("unused", sources), "TM": SECRET_VALUE}, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "source 'tm'" in lines[0]
    assert "secrets[0]" in lines[0]
    assert "this-is-not-base64" not in done.stderr + done.stdout
