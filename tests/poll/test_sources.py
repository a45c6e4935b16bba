"""Pull sources in the sources file: what they say, and one clear line when wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetwire.errors import ConfigError
from poll.sources import DEFAULT_FEEDS, load_pull_sources
from tests.support.providers import POLLED

GOOD = """
[[sources]]
name = "zubie"
provider = "zubie"
secrets = ["env:ZUBIE_SECRET_NOT_SET"]

[[sources]]
name = "fleet"
provider = "geotab"
server = "my.geotab.com"
database = "company_db"
username = "env:GEOTAB_USERNAME"
password = "file:{password_file}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_a_pull_source_with_its_defaults(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("pa55-from-file\n")
    path = write(tmp_path, GOOD.format(password_file=password_file))
    # The webhook source's unset variable is no error here: webhook sources are skipped.
    sources = load_pull_sources(path, {"GEOTAB_USERNAME": "api@example.com"}, polled=POLLED)
    source = sources["fleet"]
    assert list(sources) == ["fleet"]
    assert source.server == "https://my.geotab.com"
    assert source.database == "company_db"
    assert source.username.value == "api@example.com"
    assert source.password.value == "pa55-from-file"
    assert source.feeds == DEFAULT_FEEDS
    assert source.from_date is None
    assert "pa55-from-file" not in repr(source)


BASE = '[[sources]]\nname = "g"\nprovider = "geotab"\ndatabase = "db"\nusername = "u"\n'
BASE += 'password = "p"\n'


@pytest.mark.parametrize(
    ("more", "expected"),
    [
        ('server = "http://127.0.0.1:8110"', ("http://127.0.0.1:8110", None, DEFAULT_FEEDS)),
        (
            'server = "https://my3.geotab.com/"\nfrom_date = 2024-05-01T00:00:00Z\n'
            'feeds = ["Device", "StatusData"]',
            (
                "https://my3.geotab.com",
                datetime(2024, 5, 1, tzinfo=UTC),
                ("Device", "StatusData"),
            ),
        ),
        (
            'server = "my.geotab.com"\nfrom_date = 2024-05-01',
            ("https://my.geotab.com", datetime(2024, 5, 1, tzinfo=UTC), DEFAULT_FEEDS),
        ),
        (
            'server = "my.geotab.com"\nfrom_date = "2024-05-01T02:00:00+02:00"',
            ("https://my.geotab.com", datetime(2024, 5, 1, tzinfo=UTC), DEFAULT_FEEDS),
        ),
    ],
)
def test_servers_dates_and_feeds(
    tmp_path: Path, more: str, expected: tuple[object, object, object]
) -> None:
    source = load_pull_sources(write(tmp_path, BASE + more), {}, polled=POLLED)["g"]
    assert (source.server, source.from_date, source.feeds) == expected


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ("", "'server' must be"),
        ('server = "http://my.geotab.com"', "'server'"),  # credentials in clear: local only
        ('server = "my.geotab.com/apiv1"', "'server'"),
        ('server = "my.geotab.com"\nfeeds = ["Nope"]', "Nope has no data feed"),
        ('server = "my.geotab.com"\nfeeds = []', "'feeds' must be"),
        ('server = "my.geotab.com"\nfeeds = ["Trip", "Trip"]', "twice"),
        ('server = "my.geotab.com"\nfrom_date = "yesterday"', "'from_date'"),
        ('server = "my.geotab.com"\nsecrets = ["x"]', "unknown key"),
        ('server = "my.geotab.com"\npassword2 = "x"', "unknown key"),
    ],
)
def test_bad_pull_sources_are_one_clear_line(tmp_path: Path, more: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_pull_sources(write(tmp_path, BASE + more), {}, polled=POLLED)
    assert "\n" not in str(info.value)
    assert "source 'g'" in str(info.value)


def test_an_unset_password_variable_names_the_source(tmp_path: Path) -> None:
    text = BASE.replace('password = "p"', 'password = "env:GEOTAB_PW"')
    with pytest.raises(ConfigError, match="source 'g': password: environment variable GEOTAB_PW"):
        load_pull_sources(write(tmp_path, text + 'server = "my.geotab.com"'), {}, polled=POLLED)


def test_a_webhook_provider_s_sources_are_not_pull_sources(tmp_path: Path) -> None:
    text = BASE + 'server = "my.geotab.com"\n'
    text += '[[sources]]\nname = "z"\nprovider = "zubie"\nsecrets = ["x"]\n'
    assert list(load_pull_sources(write(tmp_path, text), {}, polled=POLLED)) == ["g"]
