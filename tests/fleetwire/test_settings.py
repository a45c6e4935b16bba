from __future__ import annotations

from pathlib import Path

import pytest

from fleetwire.errors import ConfigError
from fleetwire.settings import Delivery, Settings


def test_defaults_match_the_contract() -> None:
    settings = Settings.from_env({})
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.topic_prefix == "fleetwire"
    assert settings.sources_path == Path("deploy/local/sources.toml")
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8080)
    assert settings.admin_port_for("ingress") == 9108
    assert settings.admin_port_for("processor") == 9109
    assert settings.admin_port_for("poll") == 9110
    assert (settings.poll_interval_s, settings.poll_results_limit) == (30.0, 5000)
    assert settings.poll_max_backoff_s == 300.0
    assert settings.max_body_bytes == 1_048_576
    assert settings.workers == 1
    assert settings.delivery is Delivery.EXACTLY_ONCE
    assert settings.schema_base_url == "http://localhost:9109/schemas/"


def test_admin_port_zero_is_kept_for_both_kinds() -> None:
    settings = Settings.from_env({"FLEETWIRE_ADMIN_PORT": "0"})
    assert settings.admin_port_for("ingress") == 0
    assert settings.admin_port_for("poll") == 0


def test_poll_settings_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {
            "FLEETWIRE_POLL_INTERVAL": "0.5",
            "FLEETWIRE_POLL_RESULTS_LIMIT": "50000",
            "FLEETWIRE_POLL_MAX_BACKOFF": "2",
        }
    )
    assert (settings.poll_interval_s, settings.poll_results_limit) == (0.5, 50_000)
    assert settings.poll_max_backoff_s == 2.0
    # Geotab answers at most 50,000 entities a call.
    with pytest.raises(ConfigError, match="FLEETWIRE_POLL_RESULTS_LIMIT"):
        Settings.from_env({"FLEETWIRE_POLL_RESULTS_LIMIT": "50001"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FLEETWIRE_HTTP_PORT", "eighty"),
        ("FLEETWIRE_HTTP_PORT", "70000"),
        ("FLEETWIRE_WORKERS", "0"),
        ("FLEETWIRE_DELIVERY", "twice"),
        ("FLEETWIRE_LOG_FORMAT", "xml"),
        ("FLEETWIRE_TOPIC_PREFIX", "bad prefix!"),
        ("FLEETWIRE_PUBLISH_TIMEOUT", "-1"),
        ("FLEETWIRE_SCHEMA_BASE_URL", "schemas.example.com/fleetwire/"),
        ("FLEETWIRE_SCHEMA_BASE_URL", "ftp://schemas.example.com/"),
        ("FLEETWIRE_SCHEMA_BASE_URL", "https:///schemas/"),
        ("FLEETWIRE_SCHEMA_BASE_URL", "https://example.com/schemas/?v=1"),
        ("FLEETWIRE_SCHEMA_BASE_URL", "https://example.com/schemas/#top"),
    ],
)
def test_invalid_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.http_port = 1  # type: ignore[misc]


def test_the_schema_base_url_is_where_the_local_processor_serves_schemas() -> None:
    settings = Settings.from_env({})
    port = settings.admin_port_for("processor")
    assert settings.schema_base_url == f"http://localhost:{port}/schemas/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://schemas.example.com/fleetwire/", "https://schemas.example.com/fleetwire/"),
        ("https://schemas.example.com/fleetwire", "https://schemas.example.com/fleetwire/"),
        (" http://processor.internal:9109/schemas/ ", "http://processor.internal:9109/schemas/"),
        ("", "http://localhost:9109/schemas/"),
    ],
)
def test_the_schema_base_url_comes_from_the_environment(value: str, expected: str) -> None:
    settings = Settings.from_env({"FLEETWIRE_SCHEMA_BASE_URL": value})
    assert settings.schema_base_url == expected
