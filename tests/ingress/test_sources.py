from __future__ import annotations

from pathlib import Path

import pytest

from fleetwire.errors import ConfigError
from ingress.sources import Secret, load_sources

PROVIDERS = ("zubie", "smartcar")
# A provider that is installed but polled: its sources are passed over, never refused.


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_env_file_and_literal_values(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("from-a-file\n")
    path = write(
        tmp_path,
        f"""
[[sources]]
name = "zubie-main"
provider = "zubie"
secrets = ["env:ZUBIE_SECRET", "file:{secret_file}", "literal"]
""",
    )
    sources = load_sources(path, PROVIDERS, {"ZUBIE_SECRET": "from-env"})
    source = sources["zubie-main"]
    assert [s.value for s in source.secrets] == ["from-env", "from-a-file", "literal"]
    assert "from-env" not in repr(source)
    assert "literal" not in repr(source)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[sources]]\nname = "a"\nprovider = "nope"\nsecrets = ["x"]\n', "unknown provider"),
        (
            '[[sources]]\nname = "a"\nprovider = "zubie"\nsecrets = ["env:UNSET_VAR"]\n',
            "UNSET_VAR is not set",
        ),
        ('[[sources]]\nname = "a"\nprovider = "zubie"\nsecrets = [""]\n', "empty"),
        (
            '[[sources]]\nname = "a"\nprovider = "zubie"\nsecrets = ["x"]\n'
            '[[sources]]\nname = "a"\nprovider = "zubie"\nsecrets = ["y"]\n',
            "duplicate source",
        ),
        ('[[sources]]\nname = "a"\nprovider = "zubie"\nsecret = ["x"]\n', "unknown key"),
        ("sources = 3\n", r"no \[\[sources\]\]"),
        ("[[sources]\n", "not valid TOML"),
        ('[[sources]]\nname = "A B"\nprovider = "zubie"\n', "'name'"),
    ],
)
def test_bad_entries_are_rejected_with_one_clear_line(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_sources(write(tmp_path, body), PROVIDERS, {})
    assert "\n" not in str(info.value)


def test_missing_file_says_which_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FLEETWIRE_SOURCES"):
        load_sources(tmp_path / "absent.toml", PROVIDERS, {})


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"


def test_pull_sources_are_skipped_unread(tmp_path: Path) -> None:
    # The ingress never needs a pull source's credentials: an unset variable is no error.
    path = write(
        tmp_path,
        """
[[sources]]
name = "zubie"
provider = "zubie"
secrets = ["x"]

[[sources]]
name = "fleet"
provider = "geotab"
password = "env:NOT_SET_HERE"
""",
    )
    assert list(load_sources(path, PROVIDERS, {}, polled=["geotab"])) == ["zubie"]


def test_names_are_unique_across_webhook_and_pull_sources(tmp_path: Path) -> None:
    body = '[[sources]]\nname = "a"\nprovider = "zubie"\nsecrets = ["x"]\n'
    body += '[[sources]]\nname = "a"\nprovider = "geotab"\n'
    with pytest.raises(ConfigError, match="duplicate source"):
        load_sources(write(tmp_path, body), PROVIDERS, {})
