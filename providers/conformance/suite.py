"""The conformance suite as pytest tests: every rule (providers.conformance.rules) over
every selected provider.

A test module runs it with

    from providers.conformance.suite import *  # noqa: F403

over every installed provider, or over some of them, installed or not yet, with

    CONFORMANCE_PROVIDERS = ["acme"]  # names of installed providers, or Provider objects

in that module. A rule that does not apply to a provider is reported as skipped, saying
why. FLEETWIRE_UPDATE_GOLDEN=1 makes the golden test rewrite the golden files.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from providers.conformance.rules import RULES, Rule
from providers.conformance.sources import NotApplicable
from providers.registry import installed
from providers.spec import Provider

SELECTION = "CONFORMANCE_PROVIDERS"


def selected(chosen: Sequence[str | Provider] | None) -> list[Provider]:
    """The providers a module selects: every installed one unless it names some."""
    registry = installed()
    if chosen is None:
        return list(registry)
    return [entry if isinstance(entry, Provider) else registry.get(entry) for entry in chosen]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_provider" in metafunc.fixturenames:
        providers = selected(getattr(metafunc.module, SELECTION, None))
        metafunc.parametrize(
            "conformance_provider", providers, ids=[provider.name for provider in providers]
        )


def check(rule: Rule, provider: Provider) -> None:
    try:
        rule(provider)
    except NotApplicable as exc:
        pytest.skip(str(exc))


def test_has_samples_and_golden_files(conformance_provider: Provider) -> None:
    check(RULES["has_samples_and_golden_files"], conformance_provider)


def test_samples_match_their_golden_files(conformance_provider: Provider) -> None:
    check(RULES["samples_match_their_golden_files"], conformance_provider)


def test_events_keep_the_contract(conformance_provider: Provider) -> None:
    check(RULES["events_keep_the_contract"], conformance_provider)


def test_produces_what_it_declares(conformance_provider: Provider) -> None:
    check(RULES["produces_what_it_declares"], conformance_provider)


def test_invalid_samples_are_dead_lettered(conformance_provider: Provider) -> None:
    check(RULES["invalid_samples_are_dead_lettered"], conformance_provider)


def test_pings_are_passed_over(conformance_provider: Provider) -> None:
    check(RULES["pings_are_passed_over"], conformance_provider)


def test_non_json_is_dead_lettered(conformance_provider: Provider) -> None:
    check(RULES["non_json_is_dead_lettered"], conformance_provider)


def test_wrong_shape_is_dead_lettered(conformance_provider: Provider) -> None:
    check(RULES["wrong_shape_is_dead_lettered"], conformance_provider)


def test_unknown_event_type_is_dead_lettered(conformance_provider: Provider) -> None:
    check(RULES["unknown_event_type_is_dead_lettered"], conformance_provider)


def test_same_delivery_same_ids(conformance_provider: Provider) -> None:
    check(RULES["same_delivery_same_ids"], conformance_provider)


def test_signs_and_verifies_with_every_secret(conformance_provider: Provider) -> None:
    check(RULES["signs_and_verifies_with_every_secret"], conformance_provider)


def test_refuses_a_tampered_body(conformance_provider: Provider) -> None:
    check(RULES["refuses_a_tampered_body"], conformance_provider)


def test_refuses_a_wrong_secret(conformance_provider: Provider) -> None:
    check(RULES["refuses_a_wrong_secret"], conformance_provider)


def test_refuses_a_missing_header(conformance_provider: Provider) -> None:
    check(RULES["refuses_a_missing_header"], conformance_provider)


def test_keeps_its_replay_window(conformance_provider: Provider) -> None:
    check(RULES["keeps_its_replay_window"], conformance_provider)


def test_only_ever_fails_authentication(conformance_provider: Provider) -> None:
    check(RULES["only_ever_fails_authentication"], conformance_provider)


def test_ingress_refuses_with_its_status(conformance_provider: Provider) -> None:
    check(RULES["ingress_refuses_with_its_status"], conformance_provider)


def test_retry_gets_the_same_raw_key_and_ids(conformance_provider: Provider) -> None:
    check(RULES["retry_gets_the_same_raw_key_and_ids"], conformance_provider)


__all__ = [
    "pytest_generate_tests",
    "test_events_keep_the_contract",
    "test_has_samples_and_golden_files",
    "test_ingress_refuses_with_its_status",
    "test_invalid_samples_are_dead_lettered",
    "test_keeps_its_replay_window",
    "test_non_json_is_dead_lettered",
    "test_only_ever_fails_authentication",
    "test_pings_are_passed_over",
    "test_produces_what_it_declares",
    "test_refuses_a_missing_header",
    "test_refuses_a_tampered_body",
    "test_refuses_a_wrong_secret",
    "test_retry_gets_the_same_raw_key_and_ids",
    "test_same_delivery_same_ids",
    "test_samples_match_their_golden_files",
    "test_signs_and_verifies_with_every_secret",
    "test_unknown_event_type_is_dead_lettered",
    "test_wrong_shape_is_dead_lettered",
]
