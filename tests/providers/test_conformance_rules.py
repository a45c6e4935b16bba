"""The conformance suite's rules can fail: a provider broken in one way, for each rule.

Each broken provider is a built-in one with one thing changed: its unbroken original
keeps the same rule (shown beside it), so the rule fails for what was changed.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from fleetwire.envelope import RawRecord
from fleetwire.errors import AuthenticationError, Ping, RejectedRecord
from ingress.telematica import TelematicaVerifier
from ingress.verifier import (
    Headers,
    Verifier,
    decode_base64,
    matches_any,
    required_header,
)
from ingress.zubie import ZubieVerifier
from processors import motive, zubie
from providers import golden
from providers.builtin import MOTIVE, SMARTCAR, TELEMATICA, ZUBIE
from providers.conformance import hostile, rules, suite
from providers.conformance.rules import RULES, Rule
from providers.conformance.sources import NotApplicable
from providers.spec import Provider
from schemas.canonical import CanonicalEvent

CE = list[CanonicalEvent]


def breaks(rule: Rule, good: Provider, broken: Provider, match: str) -> None:
    """`good` keeps `rule`, `broken` does not, and the message names the provider and why."""
    rule(good)
    with pytest.raises(AssertionError, match=match) as caught:
        rule(broken)
    assert f"{broken.name}: " in str(caught.value)


def normalizing(base: Provider, change: Callable[[RawRecord, CE], CE]) -> Provider:
    """`base` whose normalizer changes the events it makes."""

    def normalize(record: RawRecord) -> CE:
        return change(record, base.normalizer(record))

    return dataclasses.replace(base, normalizer=normalize)


def verifying(base: Provider, verifier: type[Verifier]) -> Provider:
    return dataclasses.replace(base, verifier=verifier)


def each(events: CE, **changes: object) -> CE:
    return [msgspec.structs.replace(event, **changes) for event in events]


# The suite -------------------------------------------------------------------------


def test_every_rule_is_a_test_of_the_suite() -> None:
    tests = {name for name in suite.__all__ if name.startswith("test_")}
    assert tests == {f"test_{name}" for name in RULES}
    assert all(callable(getattr(suite, name)) for name in tests)
    assert len(RULES) >= 17


def test_a_module_selects_providers_by_name_or_as_objects() -> None:
    assert [p.name for p in suite.selected(None)] == sorted(p.name for p in suite.selected(None))
    assert "zubie" in [p.name for p in suite.selected(None)]
    assert suite.selected(["zubie", SMARTCAR]) == [ZUBIE, SMARTCAR]


SIGNING_RULES = (
    "signs_and_verifies_with_every_secret",
    "refuses_a_tampered_body",
    "refuses_a_wrong_secret",
    "refuses_a_missing_header",
    "keeps_its_replay_window",
    "only_ever_fails_authentication",
    "ingress_refuses_with_its_status",
    "retry_gets_the_same_raw_key_and_ids",
)


def test_a_pull_provider_skips_the_signing_rules_and_keeps_the_others() -> None:
    polled = dataclasses.replace(ZUBIE, verifier=None)
    for name, rule in RULES.items():
        if name in SIGNING_RULES:
            with pytest.raises(NotApplicable, match="polled"):
                rule(polled)
        else:
            rule(polled)


# Samples and golden files ----------------------------------------------------------


def test_a_provider_without_samples_fails(tmp_path: Path) -> None:
    rule = rules.has_samples_and_golden_files
    breaks(rule, ZUBIE, dataclasses.replace(ZUBIE, samples=tmp_path / "none"), "samples")
    breaks(rule, ZUBIE, dataclasses.replace(ZUBIE, samples=tmp_path), "no sample")
    unknown = dataclasses.replace(SMARTCAR, rejected_samples={"variant-gone": "unsupported-event"})
    breaks(rule, SMARTCAR, unknown, "variant-gone")


def copied_golden(provider: Provider, tmp_path: Path) -> Path:
    assert provider.golden is not None
    copy = tmp_path / "golden"
    shutil.copytree(provider.golden, copy)
    return copy


def test_a_golden_file_that_differs_fails(tmp_path: Path) -> None:
    copy = copied_golden(ZUBIE, tmp_path)
    path = copy / "trip_end.json"
    events = json.loads(path.read_text())
    events[0]["data"]["trip"]["distance_km"] = 1.0
    path.write_text(json.dumps(events))
    broken = dataclasses.replace(ZUBIE, golden=copy)
    breaks(rules.samples_match_their_golden_files, ZUBIE, broken, r"trip_end.*distance_km")


def test_a_missing_or_orphaned_golden_file_fails(tmp_path: Path) -> None:
    copy = copied_golden(ZUBIE, tmp_path)
    (copy / "trip_end.json").unlink()
    missing = dataclasses.replace(ZUBIE, golden=copy)
    breaks(rules.samples_match_their_golden_files, ZUBIE, missing, "trip_end.json is missing")
    copy = copied_golden(ZUBIE, tmp_path / "again")
    (copy / "trip_gone.json").write_text("[]\n")
    orphaned = dataclasses.replace(ZUBIE, golden=copy)
    breaks(rules.samples_match_their_golden_files, ZUBIE, orphaned, "trip_gone.json")


def test_a_rejected_sample_must_be_dead_lettered_as_declared() -> None:
    wrong_kind = dataclasses.replace(
        SMARTCAR,
        rejected_samples={**SMARTCAR.rejected_samples, "variant-verify-v4": "invalid-json"},
    )
    breaks(rules.samples_match_their_golden_files, SMARTCAR, wrong_kind, "declared invalid-json")
    undeclared = dataclasses.replace(SMARTCAR, rejected_samples={})
    breaks(rules.samples_match_their_golden_files, SMARTCAR, undeclared, "dead-lettered")


def test_update_mode_rewrites_the_golden_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copied_golden(ZUBIE, tmp_path)
    (copy / "trip_end.json").write_text("[]\n")
    (copy / "trip_start.json").unlink()
    stale = dataclasses.replace(ZUBIE, golden=copy)
    monkeypatch.setenv(golden.UPDATE_ENV, "1")
    rules.samples_match_their_golden_files(stale)
    monkeypatch.delenv(golden.UPDATE_ENV)
    rules.samples_match_their_golden_files(stale)
    assert ZUBIE.golden is not None
    for name in ("trip_end.json", "trip_start.json"):
        assert (copy / name).read_text() == (ZUBIE.golden / name).read_text()


def test_declared_types_must_be_what_the_golden_files_show() -> None:
    undeclared = dataclasses.replace(
        ZUBIE, produces={k: v for k, v in ZUBIE.produces.items() if k != "vehicle.trip.started"}
    )
    breaks(rules.produces_what_it_declares, ZUBIE, undeclared, r"does not\s+declare.*trip_start")
    unshown = dataclasses.replace(
        ZUBIE, produces={**ZUBIE.produces, "vehicle.connected": ("vehicle_connected",)}
    )
    breaks(rules.produces_what_it_declares, ZUBIE, unshown, "no golden file shows")


def test_a_normalizer_producing_another_type_fails_the_golden_files_and_the_contract() -> None:
    def renamed(_: RawRecord, events: CE) -> CE:
        low = events[0].type == "vehicle.battery.low"
        return each(events, type="vehicle.location.updated") if low else events

    broken = normalizing(ZUBIE, renamed)
    breaks(rules.samples_match_their_golden_files, ZUBIE, broken, r"vehicle_low_battery.*type")
    breaks(rules.events_keep_the_contract, ZUBIE, broken, "dataschema is .*vehicle.battery.low")


def test_invalid_samples_must_be_dead_lettered_as_invalid_json() -> None:
    def swallowing(record: RawRecord) -> CE:
        try:
            return zubie.normalize(record)
        except RejectedRecord as exc:
            if exc.kind == "invalid-json":
                raise RejectedRecord("invalid-payload", "something is wrong") from None
            raise

    broken = dataclasses.replace(ZUBIE, normalizer=swallowing)
    assert golden.invalid_samples(ZUBIE)
    breaks(rules.invalid_samples_are_dead_lettered, ZUBIE, broken, "invalid-payload")


def test_a_ping_that_becomes_an_event_or_a_dead_letter_fails() -> None:
    def pinging_back(record: RawRecord) -> CE:
        try:
            return motive.normalize(record)
        except Ping:
            raise RejectedRecord("unsupported-event", "a test delivery") from None

    broken = dataclasses.replace(MOTIVE, normalizer=pinging_back)
    assert golden.ping_samples(MOTIVE)
    breaks(rules.pings_are_passed_over, MOTIVE, broken, r"test.ping.json became .*dead letter")


# The canonical event's contract -----------------------------------------------------


def test_a_time_that_is_not_utc_with_z_fails() -> None:
    offset = normalizing(ZUBIE, lambda _, events: each(events, time="2019-09-27T15:35:35+02:00"))
    breaks(rules.events_keep_the_contract, ZUBIE, offset, "time '2019-09-27T15:35:35")


def test_a_location_elsewhere_than_data_location_fails() -> None:
    def moved(_: RawRecord, events: CE) -> CE:
        return [
            msgspec.structs.replace(e, data=msgspec.structs.replace(e.data, location=None))
            if e.type == "vehicle.battery.soc_reached"
            else e
            for e in events
        ]

    broken = normalizing(TELEMATICA, moved)
    breaks(rules.events_keep_the_contract, TELEMATICA, broken, r"data\.status\.location")


def test_a_subject_against_the_vin_rule_fails() -> None:
    rule = rules.events_keep_the_contract
    bare = normalizing(ZUBIE, lambda _, events: each(events, subject="vehicle-42"))
    breaks(rule, ZUBIE, bare, "'vehicle-42'")
    by_key = normalizing(ZUBIE, lambda _, events: each(events, subject="zubie:vehicle:k1"))
    breaks(rule, ZUBIE, by_key, "the valid VIN")
    invalid_vin = normalizing(ZUBIE, lambda _, events: each(events, subject="vin:123"))
    breaks(rule, ZUBIE, invalid_vin, "vin:123")


def test_a_wrong_dataschema_fails() -> None:
    broken = normalizing(ZUBIE, lambda _, events: each(events, dataschema="https://x/y.json"))
    breaks(rules.events_keep_the_contract, ZUBIE, broken, "dataschema")


# What a normalizer does with what it cannot read ------------------------------------


def test_a_normalizer_raising_on_non_json_fails() -> None:
    def fragile(record: RawRecord) -> CE:
        json.loads(record.body)  # ValueError, not RejectedRecord
        return zubie.normalize(record)

    broken = dataclasses.replace(ZUBIE, normalizer=fragile)
    breaks(hostile.non_json_is_dead_lettered, ZUBIE, broken, "JSONDecodeError")


def test_a_normalizer_raising_key_error_on_a_wrong_shape_fails() -> None:
    def fragile(record: RawRecord) -> CE:
        document = json.loads(record.body)
        if isinstance(document, dict):
            document["event"]  # KeyError where a sample lost its `event`
        return zubie.normalize(record)

    broken = dataclasses.replace(ZUBIE, normalizer=fragile)
    breaks(hostile.wrong_shape_is_dead_lettered, ZUBIE, broken, "KeyError")


def test_a_normalizer_that_makes_nothing_of_a_record_fails() -> None:
    def silent(record: RawRecord) -> CE:
        try:
            return zubie.normalize(record)
        except RejectedRecord:
            return []

    broken = dataclasses.replace(ZUBIE, normalizer=silent)
    breaks(hostile.wrong_shape_is_dead_lettered, ZUBIE, broken, "would vanish")


def test_a_normalizer_making_unchecked_events_of_damaged_input_fails() -> None:
    samples = [json.loads(path.read_bytes()) for path in golden.valid_samples(ZUBIE)]

    def unzoned(record: RawRecord, events: CE) -> CE:
        damaged = json.loads(record.body) not in samples  # the samples' own events stay right
        return each(events, time="2019-09-27 13:35") if damaged else events

    broken = normalizing(ZUBIE, unzoned)
    breaks(hostile.wrong_shape_is_dead_lettered, ZUBIE, broken, "not RFC 3339")


def test_a_normalizer_taking_an_unknown_event_for_a_known_one_fails() -> None:
    def guessing(record: RawRecord) -> CE:
        body = record.body.replace(hostile.UNKNOWN_TYPE.encode(), b"trip_start")
        return zubie.normalize(msgspec.structs.replace(record, body=body))

    broken = dataclasses.replace(ZUBIE, normalizer=guessing)
    breaks(hostile.unknown_event_type_is_dead_lettered, ZUBIE, broken, "was not rejected")


def test_a_rejection_without_a_known_kind_or_a_reason_fails() -> None:
    def vague(record: RawRecord) -> CE:
        try:
            return zubie.normalize(record)
        except RejectedRecord:
            raise RejectedRecord("bad", "") from None

    broken = dataclasses.replace(ZUBIE, normalizer=vague)
    breaks(hostile.non_json_is_dead_lettered, ZUBIE, broken, "rejected as 'bad'")


# Ids -------------------------------------------------------------------------------


def test_unstable_ids_fail() -> None:
    random = normalizing(ZUBIE, lambda _, events: each(events, id=str(uuid.uuid4())))
    breaks(rules.RULES["same_delivery_same_ids"], ZUBIE, random, "read again")
    breaks(hostile.wrong_shape_is_dead_lettered, ZUBIE, random, "two different outcomes")
    by_time = normalizing(
        ZUBIE, lambda record, events: each(events, id=f"{record.key}-{record.received_at}")
    )
    breaks(rules.RULES["same_delivery_same_ids"], ZUBIE, by_time, "read again")
    by_body = normalizing(ZUBIE, lambda record, events: each(events, id=str(len(record.body))))
    breaks(rules.RULES["same_delivery_same_ids"], ZUBIE, by_body, "another delivery")


# Signing ---------------------------------------------------------------------------


class AcceptsAnything(ZubieVerifier):
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        return None


class IgnoresTheSecondSecret(ZubieVerifier):
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        presented = decode_base64(required_header(headers, "Zubie-Signature"))
        if not matches_any([self._keys.current(body)], presented):
            raise AuthenticationError("bad-signature", "does not match")


class SignatureOptional(ZubieVerifier):
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        if "Zubie-Signature" in headers:
            super().verify(headers, body, now)


class Crashing(ZubieVerifier):
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        int(headers.get("Zubie-Signature", "0"))  # ValueError on anything but digits
        super().verify(headers, body, now)


def test_a_verifier_ignoring_the_second_secret_fails() -> None:
    broken = verifying(ZUBIE, IgnoresTheSecondSecret)
    breaks(rules.RULES["signs_and_verifies_with_every_secret"], ZUBIE, broken, r"secrets\[1\]")


def test_a_provider_without_a_rotation_to_test_fails() -> None:
    single = dataclasses.replace(ZUBIE, test_credentials={"secrets": ("only",)})
    breaks(rules.RULES["signs_and_verifies_with_every_secret"], ZUBIE, single, "rotation")
    unknown = dataclasses.replace(ZUBIE, test_credentials={"password": ("a", "b")})
    breaks(rules.RULES["signs_and_verifies_with_every_secret"], ZUBIE, unknown, "'password'")


def test_a_verifier_accepting_anything_fails_every_refusal_rule() -> None:
    broken = verifying(ZUBIE, AcceptsAnything)
    for name in (
        "refuses_a_tampered_body",
        "refuses_a_wrong_secret",
        "refuses_a_missing_header",
        "ingress_refuses_with_its_status",
    ):
        breaks(RULES[name], ZUBIE, broken, "should be refused|got 200")


def test_a_verifier_without_its_header_accepting_fails() -> None:
    broken = verifying(ZUBIE, SignatureOptional)
    breaks(rules.RULES["refuses_a_missing_header"], ZUBIE, broken, "without any credential")


def test_a_verifier_raising_anything_but_authentication_error_fails() -> None:
    broken = verifying(ZUBIE, Crashing)
    breaks(rules.RULES["only_ever_fails_authentication"], ZUBIE, broken, "ValueError")


def test_a_static_credential_is_not_held_to_the_tampering_rule() -> None:
    with pytest.raises(NotApplicable, match="body"):
        rules.RULES["refuses_a_tampered_body"](dataclasses.replace(ZUBIE, body_signed=False))


class Untimed(TelematicaVerifier):
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        super().verify(headers, body, float(headers.get("svix-timestamp") or now))


def test_a_replay_window_that_is_not_kept_or_not_declared_fails() -> None:
    rule = rules.RULES["keeps_its_replay_window"]
    undeclared = dataclasses.replace(TELEMATICA, replay_window_s=None)
    breaks(rule, TELEMATICA, undeclared, "declares no replay_window_s")
    ignored = verifying(TELEMATICA, Untimed)
    breaks(rule, TELEMATICA, ignored, "outside its 300 s window")
    too_long = dataclasses.replace(TELEMATICA, replay_window_s=3600)
    breaks(rule, TELEMATICA, too_long, "inside its 3600 s window")
    too_short = dataclasses.replace(TELEMATICA, replay_window_s=60)
    breaks(rule, TELEMATICA, too_short, "outside its 60 s window")


# Through the ingress ---------------------------------------------------------------


class RefusesWith500(ZubieVerifier):
    refusal_status = 500


class RandomDeliveryIds(ZubieVerifier):
    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        return uuid.uuid4().hex


class RetriesAsNewDeliveries(TelematicaVerifier):
    def resign(self, headers: Headers, body: bytes, now: float) -> dict[str, str]:
        return self.sign(body, now)  # a new svix-id: another delivery, not a retry


def test_a_refusal_status_that_is_no_refusal_fails() -> None:
    broken = verifying(ZUBIE, RefusesWith500)
    breaks(rules.RULES["ingress_refuses_with_its_status"], ZUBIE, broken, "refusal status 500")


def test_a_retry_under_another_raw_key_fails() -> None:
    rule = rules.RULES["retry_gets_the_same_raw_key_and_ids"]
    breaks(rule, ZUBIE, verifying(ZUBIE, RandomDeliveryIds), "raw key")
    breaks(rule, TELEMATICA, verifying(TELEMATICA, RetriesAsNewDeliveries), "raw key")


def test_a_retry_that_becomes_other_events_fails() -> None:
    # Ids by arrival, not by delivery: a counter, since two arrivals can share a millisecond
    # of `fleetwire-received-at`, which made an id by receive time pass now and then.
    arrival = itertools.count()
    by_arrival = normalizing(
        TELEMATICA,
        lambda record, events: each(events, id=f"{record.key}-{next(arrival)}"),
    )
    breaks(
        rules.RULES["retry_gets_the_same_raw_key_and_ids"], TELEMATICA, by_arrival, "other events"
    )


def test_no_process_imports_the_suite_or_its_test_dependencies() -> None:
    import subprocess
    import sys

    program = (
        "import sys, providers, providers.registry, providers.builtin, ingress.main, "
        "processors.main, commands.cli\n"
        "providers.registry.installed()\n"
        "loaded = [m for m in sys.modules if m.startswith('providers.conformance') "
        "or m.split('.')[0] in ('pytest', 'hypothesis', '_pytest')]\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
